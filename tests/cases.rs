//! Fixture cases: each directory under `fixtures/cases/` is one run of the
//! real `refine` binary.
//!
//! A case directory holds the inputs and:
//!
//! * `cmd`: the arguments, one line, split on spaces; paths are relative to
//!   the case directory (the binary runs there), `$FIXTURES` is the
//!   fixtures directory (as `../..`, so output never holds a machine's path);
//! * `stdout`: the exact expected standard output;
//! * `stderr`: the exact expected standard error (absent: must be empty);
//! * `code`: the expected exit code (absent: 0);
//! * `stdin`: what to feed the binary on standard input (absent: nothing).
//!
//! `REFINE_BLESS=1 cargo test --test cases` rewrites the expected files from
//! the actual output; review every change it makes before committing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn check(name: &str) {
    let dir = fixtures().join("cases").join(name);
    let cmd = read(&dir.join("cmd")).unwrap_or_else(|| panic!("{name}: no cmd file"));
    let args: Vec<String> = cmd
        .split_whitespace()
        .map(|arg| arg.replace("$FIXTURES", "../.."))
        .collect();
    let output = assert_cmd::Command::cargo_bin("refine")
        .unwrap()
        .args(&args)
        .current_dir(&dir)
        .write_stdin(read(&dir.join("stdin")).unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let code = output.status.code().unwrap();
    if std::env::var_os("REFINE_BLESS").is_some() {
        std::fs::write(dir.join("stdout"), &stdout).unwrap();
        match stderr.is_empty() {
            true => drop(std::fs::remove_file(dir.join("stderr"))),
            false => std::fs::write(dir.join("stderr"), &stderr).unwrap(),
        }
        match code {
            0 => drop(std::fs::remove_file(dir.join("code"))),
            _ => std::fs::write(dir.join("code"), format!("{code}\n")).unwrap(),
        }
        return;
    }
    let want_code: i32 = read(&dir.join("code")).map_or(0, |c| c.trim().parse().unwrap());
    assert_eq!(
        stdout,
        read(&dir.join("stdout")).unwrap_or_default(),
        "{name}: stdout"
    );
    assert_eq!(
        stderr,
        read(&dir.join("stderr")).unwrap_or_default(),
        "{name}: stderr"
    );
    assert_eq!(code, want_code, "{name}: exit code");
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(&stringify!($name).replace('_', "-"));
            }
        )*

        /// Every case directory has a test, so none is silently skipped.
        #[test]
        fn every_case_directory_is_listed() {
            let listed: Vec<String> = vec![$(stringify!($name).replace('_', "-")),*];
            let mut found: Vec<String> = std::fs::read_dir(fixtures().join("cases"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            let mut listed_sorted = listed.clone();
            listed_sorted.sort();
            assert_eq!(found, listed_sorted);
        }
    };
}

cases! {
    catalog_import_service_reference,
    catalog_info_bundled,
    catalog_info_imported,
    catalog_list,
    check_fails,
    check_passes,
    check_with_diff,
    cloudtrail_broken_log,
    cloudtrail_no_use_for_principal,
    cloudtrail_principal_and_errors,
    comma_first_array_rewritten_in_its_indentation,
    control_characters_in_messages_are_escaped,
    control_characters_in_owner_names_are_escaped,
    deny_and_principal_untouched,
    describe_instances_both_survive,
    diff_seed,
    entries_in_a_wholly_unused_service_dropped,
    entry_exact_name_the_findings_list_dropped,
    entry_keep_drop_replace,
    entry_matching_only_new_unused_actions,
    error_action_and_not_action,
    error_action_control_character,
    error_action_with_a_newline_is_one_line,
    error_action_without_colon,
    error_arguments_with_subcommand,
    error_bad_duration,
    error_catalog_import_date_not_in_the_calendar,
    error_check_with_output,
    error_cloudtrail_only_unknown_events,
    error_cloudtrail_principal_not_the_owner,
    error_duplicate_key,
    error_effect_is_case_sensitive,
    error_findings_action_wrong_service,
    error_invalid_json,
    error_missing_file,
    error_no_source,
    error_pattern_with_last_accessed,
    error_principal_without_cloudtrail,
    error_role_finding_with_permission_details,
    error_service_last_accessed_beside_actions,
    error_two_sources,
    error_unknown_version,
    error_used_list_names_nothing_known,
    exact_seed,
    findings_archived_skipped,
    findings_bad_shape,
    findings_get_finding_v2,
    findings_pages_array,
    findings_seed_form_whole_service,
    findings_two_principals,
    findings_unused_role,
    fit_cannot_reach_the_cap,
    fit_merges_then_readmits,
    fit_report_lists_readmitted,
    glob_case_insensitive,
    grants_nothing_used,
    infix_entry,
    last_accessed_truncated,
    last_accessed_with_and_without_tracking,
    no_entry_covered_by_another,
    not_action_action_form_smaller_is_said,
    not_action_adds_cover,
    not_action_all_unused,
    not_action_all_unused_catalog_current,
    not_action_smaller_as_action_with_catalog_current,
    not_action_unknown_entry,
    not_principal_untouched,
    number_spelling_kept_on_stdout,
    policy_from_stdin,
    policy_version_url_encoded,
    power_user_with_findings_dated_before_the_catalog,
    role_policy_wrapper,
    seed_bundled_catalog,
    service_wildcard_kept_for_newer_services,
    service_wildcard_refined_with_catalog_current,
    star_action_form_smaller_is_said,
    star_keeps_services_newer_than_the_catalog,
    star_per_service_with_catalog_current,
    star_smaller_as_action_with_catalog_current,
    star_unknown_unused_action_excluded_by_name,
    star_with_findings_dated_before_the_catalog,
    string_prefix_not_word_subtree,
    structure_preserved,
    unknown_actions,
    unused_for_role_unused_beyond_window,
    unused_for_role_used_within_window,
    unused_for_window_edges,
    unused_for_window_too_long_counts_dated_as_used,
    unused_for_without_window,
    used_list_with_patterns,
    used_policy_document,
}
