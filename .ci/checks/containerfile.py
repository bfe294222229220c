"""deploy/Containerfile, as far as CI can go without a container engine: the
file parses (known instructions, continuation lines closed), base images are
pinned by version tag and digest (never :latest), the OCI labels are there,
every file it copies or runs from the build context exists, and the context
excludes target/ and .git/. Run from the repository root (.ci/steps/40-image.sh).
"""
import os, re
text = open("deploy/Containerfile").read()
assert not text.rstrip().endswith("\\"), "Containerfile ends inside a continuation"
lines, cur = [], ""
for raw in text.splitlines():
    if not cur and (not raw.strip() or raw.lstrip().startswith("#")):
        continue
    if cur and raw.lstrip().startswith("#"):
        continue
    cur += raw.rstrip("\\").rstrip() + " "
    if not raw.rstrip().endswith("\\"):
        lines.append(cur.strip())
        cur = ""
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
instr = [(l.split()[0].upper(), l) for l in lines]
for word, l in instr:
    assert word in known, f"unknown instruction: {l}"
args = dict(re.match(r"ARG (\w+)=(\S+)", l).groups() for w, l in instr if w == "ARG" and "=" in l)
froms = [l for w, l in instr if w == "FROM"]
assert len(froms) == 2, froms
for f in froms:
    image = f.split()[1]
    image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
    assert ":latest" not in image and re.search(r":[0-9][\w.-]*", image), f"unpinned image {image}"
base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], froms[-1].split()[1])
assert re.search(r":[0-9][\w.-]*@sha256:[0-9a-f]{64}$", base), f"base image not pinned by tag and digest: {base}"
labels = " ".join(l for w, l in instr if w == "LABEL")
for k in ("source", "revision", "version"):
    assert f"org.opencontainers.image.{k}=" in labels, f"no OCI label {k}"
final = instr[[i for i, (w, _) in enumerate(instr) if w == "FROM"][-1]:]
copies = [l for w, l in final if w == "COPY"]
assert len(copies) == 1, f"the final stage should add one layer: {copies}"
for w, l in instr:
    if w == "COPY" and "--from=" not in l:
        for src in l.split()[1:-1]:
            assert os.path.exists(src), f"COPY source {src} missing"
for path in set(re.findall(r"scripts/[\w./-]+", text)):
    assert os.path.isfile(path) and os.access(path, os.X_OK), f"{path} missing or not executable"
ignore = open(".containerignore").read().split()
assert "target/" in ignore and ".git/" in ignore, ignore
print(f"deploy/Containerfile: {len(instr)} instructions, base {base}")
