//! The SPL text and the local evaluation come from the same table entries:
//! change an entry, and both change.

use querygen::kind::Kind;
use querygen::spl::Term;
use serde_json::json;

use crate::audit::{kind, run, set, NO_ROWS};
use crate::kinds::application;

#[test]
fn changing_the_verbs_of_an_entry_changes_query_and_evaluation() {
    let original = kind("application");
    let changed = Kind {
        verbs: &["update"],
        ..original
    };
    let text = |k: &Kind| k.query("idx", None);
    assert!(text(&original).contains(" verb=create "));
    assert!(text(&changed).contains(" verb=update "));

    let create = application("a1");
    let update = set(application("a2"), &["verb"], json!("update"));
    let events = [create, update];
    let (before, _) = run(&[original], &events);
    let (after, _) = run(&[changed], &events);
    assert!(before.len() == 1 && before[0].contains(r#""messageId":"a1""#));
    assert!(after.len() == 1 && after[0].contains(r#""messageId":"a2""#));
}

#[test]
fn changing_a_predicate_term_changes_query_and_evaluation() {
    const ONLY_BOB: &[Term<'static>] = &[Term::Bare {
        field: "user.username",
        value: "b*",
    }];
    let original = kind("application");
    let changed = Kind {
        predicate: ONLY_BOB,
        ..original
    };
    let q = changed.query("idx", None);
    assert!(q.contains(r#"(200, 201) user.username="b*"|eval"#), "{q}");
    assert!(!q.contains("impersonatedUser.username\"=\"*\""));

    let alice = application("a1");
    let bob = set(application("b1"), &["user", "username"], json!("Bob"));
    let (before, _) = run(&[original], &[alice.clone(), bob.clone()]);
    let (after, _) = run(&[changed], &[alice, bob]);
    assert_eq!(before.len(), 2);
    assert!(after.len() == 1 && after[0].contains(r#""messageId":"b1""#));
}

#[test]
fn changing_an_output_entry_changes_query_and_row() {
    use querygen::spl::Expr;
    let original = kind("application");
    let changed = Kind {
        event: Some("App made"),
        user_id: Some(Expr::Field("user.groups{}")),
        ..original
    };
    let q = changed.query("idx", None);
    assert!(q.contains(r#"|eval event="App made","#) && q.contains("userId='user.groups{}'"));
    let (lines, _) = run(&[changed], &[application("a1")]);
    assert!(lines[0].contains(r#""event":"App made""#), "{}", lines[0]);
    assert!(
        lines[0].contains(r#""userId":"system:authenticated""#),
        "{}",
        lines[0]
    );
    let (none, _) = run(
        &[changed],
        &[set(application("a1"), &["verb"], json!("get"))],
    );
    assert_eq!(none, [NO_ROWS]);
}
