use crate::support::Sandbox;

const SUBCOMMANDS: [&str; 7] = [
    "migrate",
    "seed",
    "migrate-seed",
    "genkey",
    "gentoken",
    "useradd",
    "users",
];

#[test]
fn help_mentions_every_subcommand_and_the_database_option() {
    let run = Sandbox::new().run(&["--help"]).ok();
    for sub in SUBCOMMANDS {
        assert!(
            run.stdout.lines().any(|l| l.trim_start().starts_with(sub)),
            "--help lacks {sub}:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("SALES_DB_URL") && run.stdout.contains("sqlite://var/sales.db"),
        "{}",
        run.stdout
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let sb = Sandbox::new();
    for sub in SUBCOMMANDS {
        let run = sb.run(&[sub, "--help"]).ok();
        assert!(
            run.stdout.contains("Examples:"),
            "`{sub} --help` has no examples:\n{}",
            run.stdout
        );
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let sb = Sandbox::new();
    assert_eq!(sb.run(&[]).code, Some(2));
    assert_eq!(sb.run(&["frobnicate"]).code, Some(2));
    let run = sb.run(&["gentoken", "not-a-uuid"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("USER_ID"), "{}", run.stderr);
}
