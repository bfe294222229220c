//! The eight user-journey event kinds: which audit records each selects and
//! what it outputs. This table is the one place to change a query: the SPL
//! text is generated from it (`kind.rs`, `spl.rs`), and `extract-uj-records`
//! evaluates the same entries on raw audit events
//! (`docs/audit-extraction.md`), so an entry holds no SPL text, only
//! structured pieces both can read.

use crate::kind::{Field, Kind};
use crate::spl::{Arm, Cond, Expr, Operand, Step, Term, Test};

// ---- search terms shared by several kinds ----

/// A person acted: an impersonated user, or a user that is not a system
/// account (controllers, service accounts).
const HUMAN_ACTOR: Term = Term::Or(&[
    Term::Str {
        field: "impersonatedUser.username",
        value: "*",
    },
    Term::And(&[
        Term::Bare {
            field: "user.username",
            value: "*",
        },
        Term::Not(&Term::Bare {
            field: "user.username",
            value: "system:*",
        }),
    ]),
]);
/// A create really stored the object (dry runs and rejected creates carry
/// no resourceVersion); other verbs pass.
const CREATE_STORED: Term = Term::Or(&[
    Term::NotEq {
        field: "verb",
        word: "create",
    },
    STORED,
]);
/// The object was stored (not a dry run).
const STORED: Term = Term::Str {
    field: "responseObject.metadata.resourceVersion",
    value: "*",
};
/// A PipelineRun of the build service.
const BUILD_PIPELINE: Term = Term::Words {
    field: "responseObject.metadata.labels.pipelines.appstudio.openshift.io/type",
    words: &["build"],
};
/// An update of the status subresource (controllers reporting progress).
const STATUS_UPDATE: Term = Term::Str {
    field: "objectRef.subresource",
    value: "status",
};
const STARTED: Term = Term::Str {
    field: "responseObject.status.startTime",
    value: "*",
};
const COMPLETED: Term = Term::Str {
    field: "responseObject.status.completionTime",
    value: "*",
};

const CREATED_OR_OK: &[&str] = &["200", "201"];
const OK: &[&str] = &["200"];

// ---- output expressions shared by several kinds ----

/// The acting user: the impersonated user when there is one.
const ACTING_USER: Expr = Expr::Coalesce(&["impersonatedUser.username", "user.username"]);

/// The API verb, except for a component patch that asks the build service
/// for something (the `build.appstudio.openshift.io/request` annotation,
/// set by a JSON patch or a merge patch): then the request itself (e.g.
/// `trigger-pac-build`).
const BUILD_REQUEST_OR_VERB: Expr = Expr::Case(&[
    Arm {
        when: &[
            COMPONENT,
            PATCH,
            Cond::Eq(
                Operand::RawPath("requestObject{0}.path"),
                "/metadata/annotations/build.appstudio.openshift.io~1request",
            ),
        ],
        then: Expr::RawPath("requestObject{0}.value"),
    },
    Arm {
        when: &[COMPONENT, PATCH, Cond::NotNull(BUILD_REQUEST)],
        then: Expr::Field(BUILD_REQUEST),
    },
    Arm {
        when: &[],
        then: Expr::Field("verb"),
    },
]);
const COMPONENT: Cond = Cond::Eq(Operand::Field("objectRef.resource"), "components");
const PATCH: Cond = Cond::Eq(Operand::Field("verb"), "patch");
/// The build request annotation of a merge patch.
const BUILD_REQUEST: &str =
    "requestObject.metadata.annotations.build.appstudio.openshift.io/request";

const VERB: Expr = Expr::Field("verb");

/// A `properties` key taken as is from one field of the audit record.
const fn field(name: &'static str, path: &'static str) -> Field {
    (name, Expr::Field(path))
}

// ---- `properties` key groups ----

const OBJECT_REF: &[Field] = &[
    field("apiGroup", "objectRef.apiGroup"),
    field("apiVersion", "objectRef.apiVersion"),
    field("kind", "objectRef.resource"),
];
const NAME: &[Field] = &[field("name", "objectRef.name")];
/// Application and component of an object, from its spec or else its labels.
const APP_COMPONENT: &[Field] = &[
    (
        "application",
        Expr::Coalesce(&[
            "responseObject.spec.application",
            "responseObject.metadata.labels.appstudio.openshift.io/application",
        ]),
    ),
    (
        "component",
        Expr::Coalesce(&[
            "responseObject.spec.componentName",
            "responseObject.metadata.labels.appstudio.openshift.io/component",
        ]),
    ),
];
const GIT_SOURCE: &[Field] = &[
    field("src_revision", "responseObject.spec.source.git.revision"),
    field("src_url", "responseObject.spec.source.git.url"),
];
/// The vulnerability counts of a Clair scan (its `CLAIR_SCAN_RESULT`).
const CLAIR_VULNERABILITIES: &[Field] = &[
    field(
        "vulnerabilities_critical",
        "clair_scan_result.vulnerabilities.critical",
    ),
    field(
        "vulnerabilities_high",
        "clair_scan_result.vulnerabilities.high",
    ),
    field(
        "vulnerabilities_medium",
        "clair_scan_result.vulnerabilities.medium",
    ),
    field(
        "vulnerabilities_low",
        "clair_scan_result.vulnerabilities.low",
    ),
];
/// What Pipelines-as-Code says about the run.
const PAC: &[Field] = &[
    field(
        "git_trigger_event_type",
        "responseObject.metadata.annotations.pipelinesascode.tekton.dev/event-type",
    ),
    field(
        "git_trigger_provider",
        "responseObject.metadata.annotations.pipelinesascode.tekton.dev/git-provider",
    ),
    field(
        "pipeline_log_url",
        "responseObject.metadata.annotations.pipelinesascode.tekton.dev/log-url",
    ),
];
/// What the build service says about the built source; the repository URL
/// without its query string.
const BUILD_SOURCE: &[Field] = &[
    field(
        "commit_sha",
        "responseObject.metadata.annotations.build.appstudio.redhat.com/commit_sha",
    ),
    (
        "repo",
        Expr::Replace {
            field: "responseObject.metadata.annotations.build.appstudio.openshift.io/repo",
            regex: "^([^?]*)(.*)?",
            replacement: r"\1",
        },
    ),
    field(
        "target_branch",
        "responseObject.metadata.annotations.build.appstudio.redhat.com/target_branch",
    ),
];
/// The status condition found by the kind's `StatusCondition` step.
const CONDITION: &[Field] = &[
    ("status_message", Expr::ConditionAttr("message")),
    ("status_reason", Expr::ConditionAttr("reason")),
];

/// The JSON annotation where the build service reports its state.
const BUILD_STATUS: &str =
    "responseObject.metadata.annotations.build.appstudio.openshift.io/status";

/// The event kinds, in the order the original printed them.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "application",
        title: "Application events",
        api_group: "appstudio.redhat.com",
        resource: "applications",
        verbs: &["create"],
        status_codes: CREATED_OR_OK,
        predicate: &[HUMAN_ACTOR, CREATE_STORED],
        steps: &[],
        event: None,
        event_verb: VERB,
        user_id: Some(ACTING_USER),
        properties: &[OBJECT_REF, NAME, &[field("application", "objectRef.name")]],
    },
    Kind {
        name: "component",
        title: "Component events",
        api_group: "appstudio.redhat.com",
        resource: "components",
        verbs: &["create", "update", "delete", "patch"],
        status_codes: CREATED_OR_OK,
        predicate: &[HUMAN_ACTOR, CREATE_STORED],
        steps: &[],
        event: None,
        event_verb: BUILD_REQUEST_OR_VERB,
        user_id: Some(ACTING_USER),
        properties: &[OBJECT_REF, NAME, APP_COMPONENT, GIT_SOURCE],
    },
    Kind {
        name: "build-pipelinerun-created",
        title: "Build PipelineRun creation events",
        api_group: "tekton.dev",
        resource: "pipelineruns",
        verbs: &["create"],
        status_codes: CREATED_OR_OK,
        predicate: &[BUILD_PIPELINE, STORED],
        steps: &[],
        event: Some("Build PipelineRun created"),
        event_verb: VERB,
        user_id: None,
        properties: &[OBJECT_REF, APP_COMPONENT, PAC, BUILD_SOURCE],
    },
    Kind {
        name: "build-pipelinerun-started",
        title: "Build PipelineRun started events",
        api_group: "tekton.dev",
        resource: "pipelineruns",
        verbs: &["update"],
        status_codes: OK,
        predicate: &[STATUS_UPDATE, BUILD_PIPELINE, STORED, STARTED],
        // Running, and no task finished yet: the first status update.
        steps: &[Step::StatusCondition {
            condition_type: "Succeeded",
            tests: &[
                ("reason", Test::In(&["Running"])),
                ("message", Test::Like("Tasks Completed: 0 %")),
            ],
        }],
        event: Some("Build PipelineRun started"),
        event_verb: VERB,
        user_id: None,
        properties: &[OBJECT_REF, APP_COMPONENT, PAC],
    },
    Kind {
        name: "clair-scan-completed",
        title: "Clair scan TaskRun completion events",
        api_group: "tekton.dev",
        resource: "taskruns",
        verbs: &["update"],
        status_codes: OK,
        predicate: &[
            STATUS_UPDATE,
            Term::Str {
                field: "requestObject.metadata.labels.tekton.dev/pipelineTask",
                value: "clair-scan",
            },
            COMPLETED,
        ],
        steps: &[
            Step::StatusCondition {
                condition_type: "Succeeded",
                tests: &[
                    ("reason", Test::In(&["Succeeded"])),
                    ("status", Test::In(&["True"])),
                ],
            },
            Step::TaskResult {
                name: "CLAIR_SCAN_RESULT",
                into: "clair_scan_result",
                extract: &[
                    "vulnerabilities.critical",
                    "vulnerabilities.high",
                    "vulnerabilities.medium",
                    "vulnerabilities.low",
                ],
            },
        ],
        event: Some("Clair scan TaskRun completed"),
        event_verb: VERB,
        user_id: None,
        properties: &[OBJECT_REF, APP_COMPONENT, CLAIR_VULNERABILITIES],
    },
    Kind {
        name: "build-pipelinerun-ended",
        title: "Build PipelineRun Completed or Failed events",
        api_group: "tekton.dev",
        resource: "pipelineruns",
        verbs: &["update"],
        status_codes: OK,
        predicate: &[STATUS_UPDATE, BUILD_PIPELINE, STORED, COMPLETED],
        steps: &[Step::StatusCondition {
            condition_type: "Succeeded",
            tests: &[("reason", Test::In(&["Completed", "Failed"]))],
        }],
        event: Some("Build PipelineRun ended"),
        event_verb: VERB,
        user_id: None,
        properties: &[OBJECT_REF, APP_COMPONENT, PAC, BUILD_SOURCE, CONDITION],
    },
    Kind {
        name: "release-done",
        title: "Release Succeeded or Failed events",
        api_group: "appstudio.redhat.com",
        resource: "releases",
        verbs: &["patch"],
        status_codes: OK,
        predicate: &[STATUS_UPDATE, STORED, COMPLETED],
        steps: &[Step::StatusCondition {
            condition_type: "Released",
            tests: &[("reason", Test::In(&["Succeeded", "Failed"]))],
        }],
        event: Some("Release process done"),
        event_verb: VERB,
        user_id: None,
        properties: &[
            OBJECT_REF,
            NAME,
            CONDITION,
            // A Release is owned by its application.
            &[(
                "application",
                Expr::First("responseObject.metadata.ownerReferences{}.name"),
            )],
        ],
    },
    Kind {
        name: "pull-request-created",
        title: "Pull Request created events",
        api_group: "appstudio.redhat.com",
        resource: "components",
        verbs: &["update"],
        status_codes: OK,
        // The build service recording a Pipelines-as-Code state, outside of
        // a pending build request.
        predicate: &[
            Term::Str {
                field: "user.username",
                value: "system:serviceaccount:build-service:build-service-controller-manager",
            },
            Term::Str {
                field: BUILD_STATUS,
                value: "*pac*",
            },
            Term::Not(&Term::Str {
                field: "responseObject.metadata.annotations.build.appstudio.openshift.io/request",
                value: "*",
            }),
        ],
        // PaC enabled, one event per onboarding pull request (its first
        // sighting).
        steps: &[
            Step::Spath {
                input: BUILD_STATUS,
                path: "pac.state",
                output: "build_status.pac.state",
            },
            Step::Search(&[Term::Str {
                field: "build_status.pac.state",
                value: "enabled",
            }]),
            Step::Spath {
                input: BUILD_STATUS,
                path: "pac.merge-url",
                output: "build_status.pac.merge-url",
            },
            Step::Dedup {
                field: "build_status.pac.merge-url",
                sortby: "+_time",
            },
        ],
        event: Some("Pull request created"),
        event_verb: BUILD_REQUEST_OR_VERB,
        user_id: None,
        properties: &[
            OBJECT_REF,
            NAME,
            APP_COMPONENT,
            GIT_SOURCE,
            &[field("merge_url", "build_status.pac.merge-url")],
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_slugs() {
        for (i, k) in KINDS.iter().enumerate() {
            assert!(k.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(KINDS[..i].iter().all(|o| o.name != k.name), "{}", k.name);
        }
        assert_eq!(KINDS.len(), 8);
    }

    #[test]
    fn no_kind_sets_a_property_twice() {
        for k in KINDS {
            let props = k.property_fields();
            for w in props.windows(2) {
                assert_ne!(w[0].0, w[1].0, "{}: `{}` twice", k.name, w[0].0);
            }
        }
    }

    #[test]
    fn status_properties_only_after_a_status_condition_step() {
        for k in KINDS {
            let uses = k
                .property_fields()
                .iter()
                .any(|(_, e)| matches!(e, Expr::ConditionAttr(_)));
            let finds = k
                .steps
                .iter()
                .any(|s| matches!(s, Step::StatusCondition { .. }));
            assert!(!uses || finds, "{}", k.name);
        }
    }
}
