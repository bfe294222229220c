#!/usr/bin/env python3
"""Runs nst/JSONTestSuite's parsing cases (fixtures/jsontestsuite) through
every JSON reader that re-emits JSON, alone and between two good records,
and prints the violations per tool (docs/json-streams.md, "The conformance
suite"). The same rules are asserted by the tests
(crates/*/tests/it/suite.rs); this script gives figures, for any build:

    scripts/jsontestsuite.py [BIN_DIR]     # default: target/debug

A violation is any of: a crash (a signal, or exit 101); an n_ file not
reported as bad (exit 3 and a rejects line; mk-segment-batch-payload:
exit 1 naming the line), unless jq 1.6 reads it as a valid text stream
(the five in STREAMS); a y_ file reported as invalid JSON; an i_ file not
handled as docs/json-streams.md says; a good neighbour lost.
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.path.join(ROOT, "fixtures", "jsontestsuite", "test_parsing")
S2S_MAPS = os.path.join(ROOT, "fixtures", "s2s", "sample")

# n_ files that are valid JSON text streams as jq 1.6 reads them (`jq -c .`
# reads them without error and they hold only JSON): empty, white space, a
# lone BOM, `[][]` and `{"a": true} "x"`.
STREAMS = {
    "n_single_space.json",
    "n_structure_UTF8_BOM_no_data.json",
    "n_structure_double_array.json",
    "n_structure_no_data.json",
    "n_structure_object_with_trailing_garbage.json",
}

# i_ files accepted (the rest are rejected), docs/json-streams.md.
I_ACCEPTED = {
    "i_number_double_huge_neg_exp.json",
    "i_number_huge_exp.json",
    "i_number_neg_int_huge_exp.json",
    "i_number_pos_double_huge_exp.json",
    "i_number_real_neg_overflow.json",
    "i_number_real_pos_overflow.json",
    "i_number_real_underflow.json",
    "i_number_too_big_neg_int.json",
    "i_number_too_big_pos_int.json",
    "i_number_very_big_negative_int.json",
    "i_string_UTF-8_invalid_sequence.json",
    "i_string_UTF8_surrogate_U+D800.json",
    "i_string_invalid_utf-8.json",
    "i_string_iso_latin_1.json",
    "i_string_lone_utf8_continuation_byte.json",
    "i_string_not_in_unicode_range.json",
    "i_string_overlong_sequence_2_bytes.json",
    "i_string_overlong_sequence_6_bytes.json",
    "i_string_overlong_sequence_6_bytes_null.json",
    "i_string_truncated-utf-8.json",
    "i_structure_UTF-8_BOM_empty_object.json",
}


# i_ files whose output is jq 1.6's, byte for byte (U+FFFD, clamping);
# the other accepted ones keep their number literals as written.
JQ_SAME = {n for n in I_ACCEPTED if n.startswith("i_string_")} | {
    "i_number_huge_exp.json",
    "i_number_neg_int_huge_exp.json",
    "i_number_pos_double_huge_exp.json",
    "i_number_real_neg_overflow.json",
    "i_number_real_pos_overflow.json",
    "i_structure_UTF-8_BOM_empty_object.json",
}


def jq_payload(data):
    """What `jq -c -s '{batch: .}'` (jq 1.6) prints for `data`."""
    p = subprocess.run(["jq", "-c", "-s", "{batch: .}"], input=data, capture_output=True)
    return p.stdout


def s2s_row(mid):
    return json.dumps({"result": {
        "messageId": mid, "namespace": "nebula-tenant", "userId": "smerriweather",
        "event": "e", "properties": "{}", "context": "{}", "timestamp": "t", "type": "track",
    }}).encode()


def event(mid):
    return json.dumps({"userId": "u", "type": "track", "event": "e", "messageId": mid}).encode()


# A byte-order mark is dropped at the very start of the input only (jq 1.6
# too): between two records it is not JSON.
BOM_FILES = {"n_structure_UTF8_BOM_no_data.json", "i_structure_UTF-8_BOM_empty_object.json"}


def expected(name, between=False):
    """'good' or 'bad'."""
    if between and name in BOM_FILES:
        return "bad"
    if name.startswith("y_") or name in STREAMS:
        return "good"
    if name.startswith("n_"):
        return "bad"
    return "good" if name in I_ACCEPTED else "bad"


def run(cmd, data, tmp):
    rej = os.path.join(tmp, "rejects")
    if os.path.exists(rej):
        os.remove(rej)
    cmd = [c.replace("@REJ", rej) for c in cmd]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp}
    p = subprocess.run(cmd, input=data, capture_output=True, env=env, timeout=60)
    rejects = open(rej, "rb").read() if os.path.exists(rej) else b""
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"), rejects


def tools(bins):
    s2s = [os.path.join(bins, "splunk-to-segment"), "--uid-map", os.path.join(S2S_MAPS, "uid-map.json"),
           "--ws-map", os.path.join(S2S_MAPS, "ws-map.json"), "--rejects", "@REJ", "--threads", "1"]
    up = ["--dry-run", "--rejects", "@REJ"]
    return [
        ("splunk-to-segment (auto)", s2s, s2s_row),
        ("splunk-to-segment (jsonl)", s2s + ["--input-format", "jsonl"], s2s_row),
        ("mk-segment-batch-payload", [os.path.join(bins, "mk-segment-batch-payload")], event),
        ("segment-uploader --dry-run", [os.path.join(bins, "segment-uploader")] + up, event),
        ("segment-mass-uploader --dry-run", [os.path.join(bins, "segment-mass-uploader")] + up, event),
    ]


def judge(tool, name, data, alone, around):
    """The violations of one file in one tool."""
    bad = []
    for what, (code, out, err, rej) in (("alone", alone), ("between", around)):
        want = expected(name, what == "between")
        if code < 0 or code == 101 or "panicked" in err:
            bad.append(f"{what}: crash ({code})")
            continue
        reported = "invalid JSON" in err or "invalid UTF-8 at" in err
        if tool.startswith("mk-"):
            if want == "bad" and not (code == 1 and reported and out == b""):
                bad.append(f"{what}: not reported (exit {code})")
            if want == "good" and code != 0:
                bad.append(f"{what}: rejected (exit {code}): {err.strip()[:120]}")
            if what == "between" and want == "bad" and code == 1 and ("line 1," in err or "line 3," in err):
                bad.append(f"{what}: a neighbour blamed: {err.strip()[:120]}")
            if what == "alone" and name in JQ_SAME and out != jq_payload(data):
                bad.append(f"alone: not jq's output: {out[:80]!r} != {jq_payload(data)[:80]!r}")
            if what == "between" and want == "good" and code == 0 and (
                    b'"before"' not in out or b'"after"' not in out):
                bad.append(f"{what}: a neighbour lost")
            continue
        if want == "bad" and not (code == 3 and reported and rej):
            bad.append(f"{what}: not reported (exit {code})")
        if want == "good" and reported:
            bad.append(f"{what}: reported as invalid: {err.strip()[:120]}")
        if what == "between" and (b'"before"' not in out or b'"after"' not in out):
            bad.append(f"{what}: a neighbour lost")
    return bad


def main():
    bins = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug")
    names = sorted(os.listdir(SUITE))
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for tool, cmd, good in tools(bins):
            violations = []
            for name in names:
                data = open(os.path.join(SUITE, name), "rb").read()
                alone = run(cmd, data, tmp)
                around = run(cmd, good("before") + b"\n" + data + b"\n" + good("after") + b"\n", tmp)
                for v in judge(tool, name, data, alone, around):
                    violations.append(f"{name}: {v}")
            total += len(violations)
            print(f"{tool}: {2 * len(names)} runs, {len(violations)} violations")
            for v in violations:
                print(f"  {v}")
    print(f"total: {total} violations")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
