//! What a child process tells its parent, one JSON object per line on
//! standard output, behind a marker so that output of the cases themselves
//! cannot be mistaken for it.

use serde_json::{Value, json};

/// Prefix of every line of the child-to-parent protocol.
pub(crate) const MARKER: &str = "@@baton-conformance@@ ";

/// Environment variable naming the pair a child runs.
pub(crate) const ENV_PAIR: &str = "BATON_CONFORMANCE_PAIR";
/// Environment variable listing the case ids a child runs, comma-separated.
pub(crate) const ENV_CASES: &str = "BATON_CONFORMANCE_CASES";
/// Environment variable asking a runner binary to print its pairs and exit.
pub(crate) const ENV_QUERY: &str = "BATON_CONFORMANCE_QUERY";
/// The seed of the run; replays a run exactly.
pub(crate) const ENV_SEED: &str = "BATON_SEED";

/// A message from child to parent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
    Start {
        case: String,
    },
    End {
        case: String,
        passed: bool,
        message: String,
        millis: u64,
    },
}

impl Event {
    pub(crate) fn to_line(&self) -> String {
        let v = match self {
            Event::Start { case } => json!({"event": "start", "case": case}),
            Event::End {
                case,
                passed,
                message,
                millis,
            } => json!({
                "event": "end", "case": case, "passed": passed,
                "message": message, "millis": millis,
            }),
        };
        format!("{MARKER}{v}")
    }

    /// Parses a protocol line; `None` for any other output.
    pub(crate) fn parse(line: &str) -> Option<Event> {
        let v: Value = serde_json::from_str(line.strip_prefix(MARKER)?).ok()?;
        let case = v["case"].as_str()?.to_owned();
        match v["event"].as_str()? {
            "start" => Some(Event::Start { case }),
            "end" => Some(Event::End {
                case,
                passed: v["passed"].as_bool()?,
                message: v["message"].as_str().unwrap_or_default().to_owned(),
                millis: v["millis"].as_u64().unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_other_output_is_ignored() {
        let events = [
            Event::Start {
                case: "io.x".into(),
            },
            Event::End {
                case: "io.x".into(),
                passed: false,
                message: "line 1\n\"quoted\"".into(),
                millis: 12,
            },
        ];
        for e in events {
            assert_eq!(Event::parse(&e.to_line()), Some(e));
        }
        assert_eq!(Event::parse("{\"event\":\"start\",\"case\":\"x\"}"), None);
        assert_eq!(Event::parse(&format!("{MARKER}not json")), None);
    }
}
