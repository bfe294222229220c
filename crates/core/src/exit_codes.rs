//! The one table of exit codes: what each code means for every tool, and
//! what it means for each tool in particular. Every description of the
//! codes is rendered from here: the `Exit codes:` block of each tool's
//! `--help` ([`help_block`]), the table in `README.md` and
//! `docs/exit-codes.md` ([`markdown_shared`], [`markdown_by_tool`]) and the
//! "Exit codes" section of each page in `docs/tools/` ([`markdown_tool`]).
//! The end-to-end test `tests/exit_docs.rs` checks that the documents hold
//! exactly what these functions render (and rewrites them with
//! `SEGMENT_BRIDGE_UPDATE_DOCS=1`).

use crate::exit::ExitStatus;

/// Every status, in the order of its code.
pub const ALL: [ExitStatus; 4] = [
    ExitStatus::Ok,
    ExitStatus::Failed,
    ExitStatus::Usage,
    ExitStatus::Rejected,
];

impl ExitStatus {
    /// What the code means for every tool.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Ok => "done, nothing lost",
            ExitStatus::Failed => "failed (network, API, I/O)",
            ExitStatus::Usage => "usage or configuration error, nothing done",
            ExitStatus::Rejected => "done, but some input records were rejected (see --rejects)",
        }
    }
}

/// The codes one tool can end with, each with what it means there.
pub struct ToolCodes {
    pub tool: &'static str,
    pub codes: &'static [(ExitStatus, &'static str)],
}

use ExitStatus::{Failed, Ok, Rejected, Usage};

/// What each code means for each tool. A tool that is not listed can end
/// with any code, with the shared meaning alone.
pub const TOOLS: &[ToolCodes] = &[
    ToolCodes {
        tool: "querygen",
        codes: &[
            (Ok, "the searches were printed"),
            (Failed, "standard output could not be written"),
            (Usage, "a bad option or index; nothing printed"),
        ],
    },
    ToolCodes {
        tool: "fetch-uj-records",
        codes: &[
            (Ok, "every query answered completely (also when a reader such as `head` went away)"),
            (Failed, "a query failed after its retries (the other queries' rows still went out; the failed ones are named), or output could not be written"),
            (Usage, "bad URL, no credentials, an unreadable netrc or CA file, a bad flag; nothing sent"),
        ],
    },
    ToolCodes {
        tool: "extract-uj-records",
        codes: &[
            (Ok, "every line read was used or skipped as noise"),
            (Failed, "reading the input or writing the output failed"),
            (Usage, "a time it cannot read, an unknown query name, an audit log that cannot be opened, a rejects file that cannot be created"),
            (Rejected, "some lines were rejected (named with their line number)"),
        ],
    },
    ToolCodes {
        tool: "splunk-to-segment",
        codes: &[
            (Ok, "every row became an event or was dropped for a counted reason"),
            (Failed, "stdin, stdout or the rejects file failed mid-run, or a JSON document or CSV input that cannot be read as one"),
            (Usage, "a bad map file, a rejects file that cannot be created, a usage error; nothing read"),
            (Rejected, "some rows were rejected (each named with its line and the column where a bad value starts)"),
        ],
    },
    ToolCodes {
        tool: "mk-segment-batch-payload",
        codes: &[
            (Ok, "the payload was written"),
            (Failed, "an invalid value (nothing written: half a payload is worse than none), or stdin/stdout failed"),
            (Usage, "a usage error"),
        ],
    },
    ToolCodes {
        tool: "segment-uploader",
        codes: &[
            (Ok, "sent"),
            (Failed, "the request failed after its retries, or reading failed"),
            (Usage, "a usage or configuration error, or input larger than one batch; nothing sent"),
            (Rejected, "sent, but some events were rejected"),
        ],
    },
    ToolCodes {
        tool: "segment-mass-uploader",
        codes: &[
            (Ok, "everything delivered (or delivered by an earlier run)"),
            (Failed, "some events were not delivered (they are in the dead-letter file), or reading failed"),
            (Usage, "a usage or configuration error; nothing sent"),
            (Rejected, "everything else delivered, some events rejected"),
        ],
    },
    ToolCodes {
        tool: "get-uid-map",
        codes: &[
            (Ok, "the map was written"),
            (Failed, "a cluster or Splunk failed after retries, or the map is empty; nothing published"),
            (Usage, "an unknown context, no or an unreadable kubeconfig, a bad option"),
        ],
    },
    ToolCodes {
        tool: "get-workspace-map",
        codes: &[
            (Ok, "the map was written"),
            (Failed, "a cluster failed after retries, or the map is empty; nothing published"),
            (Usage, "no matching or an unknown context, no or an unreadable kubeconfig, a bad option"),
        ],
    },
    ToolCodes {
        tool: "bridge-window",
        codes: &[
            (Ok, "the window was printed, or recorded"),
            (Failed, "the state could not be read or written"),
            (Usage, "a usage error, a corrupt watermark, or `commit` without a state"),
        ],
    },
];

/// The codes `tool` can end with and what each means there; every code,
/// with its shared meaning alone, for a tool the table does not list.
pub fn codes_of(tool: &str) -> Vec<(ExitStatus, Option<&'static str>)> {
    match TOOLS.iter().find(|t| t.tool == tool) {
        Some(t) => t.codes.iter().map(|&(s, note)| (s, Some(note))).collect(),
        None => ALL.iter().map(|&s| (s, None)).collect(),
    }
}

/// The `Exit codes:` block of `tool`'s `--help`: one entry per code the
/// tool can end with, the shared meaning first, then what it means for the
/// tool, wrapped under the meaning.
pub fn help_block(tool: &str) -> String {
    let mut out = String::from("Exit codes:");
    for (status, note) in codes_of(tool) {
        out.push_str(&format!("\n  {}  {}", status.code(), status.meaning()));
        if let Some(note) = note {
            for line in wrap(note, 74) {
                out.push_str("\n     ");
                out.push_str(&line);
            }
        }
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces (a word
/// longer than `width` stands alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The shared table, in Markdown (README.md, docs/exit-codes.md).
pub fn markdown_shared() -> String {
    let mut out = String::from("| code | meaning |\n| --- | --- |\n");
    for s in ALL {
        out.push_str(&format!("| {} | {} |\n", s.code(), s.meaning()));
    }
    out
}

/// What each code means for each tool, in Markdown (docs/exit-codes.md):
/// one row per tool, one column per code, `—` where a tool never ends with
/// a code.
pub fn markdown_by_tool() -> String {
    let mut out = String::from("| tool | 0 | 1 | 2 | 3 |\n| --- | --- | --- | --- | --- |\n");
    for t in TOOLS {
        out.push_str(&format!("| `{}` |", t.tool));
        for s in ALL {
            let cell = t
                .codes
                .iter()
                .find(|(c, _)| *c == s)
                .map_or("—", |(_, n)| n);
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

/// The exit codes of one tool, in Markdown (its page in docs/tools/).
pub fn markdown_tool(tool: &str) -> String {
    let mut out = String::from("| code | meaning | here |\n| --- | --- | --- |\n");
    for (s, note) in codes_of(tool) {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            s.code(),
            s.meaning(),
            note.unwrap_or("")
        ));
    }
    out.push_str("\nWhat the codes mean for every tool: [exit codes](../exit-codes.md).\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_tool_ends_well_and_can_be_misused() {
        for t in TOOLS {
            let codes: Vec<_> = t.codes.iter().map(|(s, _)| s.code()).collect();
            assert!(codes.contains(&0) && codes.contains(&2), "{}", t.tool);
            assert!(
                codes.windows(2).all(|w| w[0] < w[1]),
                "{}: {codes:?}",
                t.tool
            );
        }
    }

    #[test]
    fn help_lists_the_tools_codes_with_the_shared_meaning() {
        let help = help_block("querygen");
        assert!(help.starts_with("Exit codes:\n  0  done, nothing lost\n     the searches"));
        assert!(!help.contains("\n  3  "), "querygen never rejects: {help}");
        let unknown = help_block("a-new-tool");
        assert_eq!(unknown.lines().count(), 5, "{unknown}");
        assert!(help_block("splunk-to-segment")
            .lines()
            .all(|l| l.chars().count() <= 80));
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("toolongword x", 4), ["toolongword", "x"]);
        assert!(wrap("", 4).is_empty());
    }
}
