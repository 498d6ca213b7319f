use proptest::prelude::*;

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/bounces/", $name, ".eml")).as_slice()
    };
}

fn status(raw: &str) -> Option<Status> {
    Status::parse(raw)
}

fn hard(report: &Report) -> &Diagnostic {
    match &report.verdict {
        Verdict::Hard(d) => d,
        other => panic!("a hard bounce expected, got {other:?}"),
    }
}

fn soft(report: &Report) -> &Diagnostic {
    match &report.verdict {
        Verdict::Soft(d) => d,
        other => panic!("a soft bounce expected, got {other:?}"),
    }
}

#[test]
fn the_bounce_address_takes_the_tag_in_its_local_part() {
    let tag = "3f9a1c0be27d4a5f8c6e1b2d";
    for raw in [
        "retours@enquetes.anact.fr",
        " retours+{tag}@enquetes.anact.fr",
    ] {
        let address = BounceAddress::parse(raw).unwrap();
        assert_eq!(
            address.with_tag(tag),
            "retours+3f9a1c0be27d4a5f8c6e1b2d@enquetes.anact.fr"
        );
        assert_eq!(tag_in_address(&address.with_tag(tag)).as_deref(), Some(tag));
    }
    for bad in [
        "",
        "retours",
        "@anact.fr",
        "re tours@anact.fr",
        "retours@localhost",
        "a@b@c.fr",
    ] {
        assert!(BounceAddress::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn postfix_unknown_user_is_hard_and_names_its_email_three_ways() {
    let report = classify(fixture!("postfix_unknown_user"));
    let diagnostic = hard(&report);
    assert_eq!(diagnostic.status, status("5.1.1"));
    assert_eq!(
        diagnostic.detail,
        "550 5.1.1 <camille.martin@menuiserie.example>: Recipient address rejected: User unknown in virtual mailbox table"
    );
    assert_eq!(
        diagnostic.plain_french(),
        "adresse inconnue du serveur destinataire"
    );
    assert_eq!(
        report.references,
        References {
            verp_tag: Some("3f9a1c0be27d4a5f8c6e1b2d".into()),
            header_tag: Some("3f9a1c0be27d4a5f8c6e1b2d".into()),
            message_id: Some("0b8e9c1e-4c41-4f7a-9d1e-6a3f2b1c5d7e@anact.example".into()),
        }
    );
    assert_eq!(
        report.message_id.as_deref(),
        Some("20260512070003.4F1A2B3C4D@mx.enquetes.anact.example")
    );
}

#[test]
fn a_delay_is_soft() {
    let report = classify(fixture!("postfix_delayed"));
    assert_eq!(soft(&report).status, status("4.4.1"));
    assert_eq!(
        report.references.message_id.as_deref(),
        Some("5a1d7c3e-91b2-4c55-8e0f-2b7d6c4a9e11@anact.example")
    );
}

#[test]
fn exchange_reports_with_a_two_digit_detail_and_the_whole_original() {
    let report = classify(fixture!("exchange_ndr"));
    let diagnostic = hard(&report);
    assert_eq!(diagnostic.status, status("5.1.10"));
    assert!(
        diagnostic
            .detail
            .starts_with("550 5.1.10 RESOLVER.ADR.RecipientNotFound")
    );
    assert_eq!(
        report.references.verp_tag.as_deref(),
        Some("a0b1c2d3e4f5a6b7c8d9e0f1")
    );
    assert_eq!(
        report.references.header_tag.as_deref(),
        Some("a0b1c2d3e4f5a6b7c8d9e0f1")
    );
    assert_eq!(
        report.references.message_id.as_deref(),
        Some("9d2f3c1a-7b6e-4e2f-a1c3-0d9e8f7a6b5c@anact.example")
    );
}

#[test]
fn a_full_mailbox_is_soft_even_when_reported_as_permanent() {
    let report = classify(fixture!("gmail_mailbox_full"));
    let diagnostic = soft(&report);
    assert_eq!(diagnostic.status, status("5.2.2"));
    assert_eq!(diagnostic.plain_french(), "boîte aux lettres pleine");
    assert!(
        diagnostic
            .detail
            .starts_with("552-5.2.2 The recipient's inbox")
    );
}

#[test]
fn reasons_are_cut_to_one_short_line() {
    let long = format!("550\r\n 5.1.1\t{}\u{7}", "é".repeat(300));
    let cut = short(&long);
    assert_eq!(cut.chars().count(), 160);
    assert!(
        cut.starts_with("550 5.1.1 éé") && cut.ends_with('…'),
        "{cut}"
    );
}

#[test]
fn an_abuse_report_is_a_complaint_found_by_the_quoted_header() {
    let report = classify(fixture!("arf_complaint"));
    assert_eq!(report.verdict, Verdict::Complaint);
    assert_eq!(report.references.verp_tag, None, "sent to the bare address");
    assert_eq!(
        report.references.header_tag.as_deref(),
        Some("1234567890abcdef12345678")
    );
    assert_eq!(
        report.references.message_id.as_deref(),
        Some("77aa88bb-99cc-4dde-8eff-001122334455@anact.example")
    );
}

#[test]
fn qmail_exim_and_a_french_provider_are_read_from_their_text() {
    let qmail = classify(fixture!("qmail_bounce"));
    assert_eq!(hard(&qmail).status, status("5.1.1"));
    assert_eq!(
        qmail.references.header_tag.as_deref(),
        Some("fedcba9876543210fedcba98")
    );
    assert_eq!(
        qmail.references.message_id.as_deref(),
        Some("2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901@anact.example")
    );

    let exim = classify(fixture!("exim_no_such_user"));
    let diagnostic = hard(&exim);
    assert_eq!(diagnostic.status.map(|s| s.class), Some(5));
    assert_eq!(
        exim.references.verp_tag.as_deref(),
        Some("0a0b0c0d0e0f101112131415")
    );

    let french = classify(fixture!("french_isp_bounce"));
    assert_eq!(hard(&french).detail, "raison : utilisateur inconnu");
    assert_eq!(
        french.references.message_id.as_deref(),
        Some("4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c@anact.example")
    );
}

#[test]
fn automatic_replies_are_recognised_and_carry_no_effect() {
    for raw in [
        fixture!("out_of_office"),
        fixture!("outlook_automatic_reply"),
    ] {
        assert_eq!(classify(raw).verdict, Verdict::AutoReply);
    }
}

#[test]
fn a_delivery_notice_is_no_bounce() {
    assert_eq!(
        classify(fixture!("delivered_notice")).verdict,
        Verdict::Delivered
    );
}

#[test]
fn foreign_and_malformed_mail_is_unrecognised() {
    let foreign = classify(fixture!("foreign_newsletter"));
    assert_eq!(foreign.verdict, Verdict::Unrecognised);
    assert_eq!(foreign.references, References::default());
    assert_eq!(
        classify(fixture!("malformed")).verdict,
        Verdict::Unrecognised
    );
    assert_eq!(classify(b"").verdict, Verdict::Unrecognised);
}

#[test]
fn a_deep_nesting_is_refused_before_parsing() {
    let mut raw = String::new();
    for depth in 0..5000 {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{depth}\"\r\n\r\n--b{depth}\r\n"
        ));
    }
    assert_eq!(classify(raw.as_bytes()).verdict, Verdict::Unrecognised);
}

#[test]
fn keys_are_the_message_id_else_the_content_hash() {
    let raw = fixture!("postfix_unknown_user");
    assert_eq!(
        message_key(&classify(raw), raw),
        "message-id:20260512070003.4F1A2B3C4D@mx.enquetes.anact.example"
    );
    let raw = b"Subject: nothing\r\n\r\nbody";
    let key = message_key(&classify(raw), raw);
    assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
    assert_eq!(imap_key(17, 42), "imap:17:42");
}

#[test]
fn status_codes_stand_alone() {
    assert_eq!(find_status("550 5.1.1 unknown"), status("5.1.1"));
    assert_eq!(find_status("(#5.1.1)"), status("5.1.1"));
    assert_eq!(find_status("address 5.9.1.2 and v2.4.41"), None);
    assert_eq!(find_status("code 5.1.1x"), None);
    assert_eq!(Status::parse("9.1.1"), None);
    assert_eq!(Status::parse("5.1"), None);
    assert_eq!(Status::parse("5.1.1000"), None);
    assert_eq!(
        status("4.7.0").map(|s| s.to_string()).as_deref(),
        Some("4.7.0")
    );
}

#[test]
fn the_smtp_clients_permanent_refusals_are_hard_and_nothing_else() {
    let refused = smtp_refusal(
        "permanent error (550): 5.1.1 <x@example.org>: Recipient address rejected: User unknown",
    )
    .unwrap();
    assert_eq!(refused.status, status("5.1.1"));
    assert_eq!(
        refused.detail,
        "5.1.1 <x@example.org>: Recipient address rejected: User unknown"
    );
    let bare = smtp_refusal("permanent error (554): rejected").unwrap();
    assert_eq!(bare.status.map(|s| s.class), Some(5));
    assert_eq!(
        smtp_refusal("destinataire invalide : x").and_then(|d| d.status),
        status("5.1.3")
    );
    assert_eq!(smtp_refusal("expéditeur invalide : x"), None);
    assert_eq!(smtp_refusal("transient error (451): later"), None);
    assert_eq!(smtp_refusal("permanent error (4"), None);
}

#[test]
fn three_soft_bounces_make_a_hard_one() {
    assert!(!soft_limit_reached(0));
    assert!(!soft_limit_reached(1));
    assert!(soft_limit_reached(2));
    assert!(soft_limit_reached(i16::MAX));
}

#[test]
fn every_status_reads_in_french() {
    assert_eq!(plain_french(None), "échec de distribution (sans précision)");
    assert_eq!(
        plain_french(status("5.7.1")),
        "message refusé par le filtrage du destinataire"
    );
    assert_eq!(plain_french(status("4.0.0")), "distribution retardée");
    assert_eq!(plain_french(status("5.0.0")), "échec de distribution");
}

fn damaged(raw: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    let len = raw.len();
    proptest::collection::vec((0..len, any::<u8>(), 0u8..3), 0..24).prop_map(move |edits| {
        let mut bytes = raw.to_vec();
        for (at, byte, how) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match how {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if !bytes.is_empty() => {
                    bytes.truncate(at);
                }
                _ => {}
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn damaged_reports_never_panic(raw in prop_oneof![
        damaged(fixture!("postfix_unknown_user")),
        damaged(fixture!("exchange_ndr")),
        damaged(fixture!("arf_complaint")),
        damaged(fixture!("qmail_bounce")),
    ]) {
        let report = classify(&raw);
        let reason = match &report.verdict {
            Verdict::Hard(d) | Verdict::Soft(d) => Some(d.detail.clone()),
            _ => None,
        };
        if let Some(reason) = reason {
            prop_assert!(reason.chars().count() <= 160);
            prop_assert!(!reason.chars().any(char::is_control));
        }
        for tag in report.references.tags() {
            prop_assert_eq!(tag.len(), TAG_LEN);
        }
        let _ = message_key(&report, &raw);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = classify(&raw);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = find_status(&text);
        let _ = smtp_refusal(&text);
        let _ = short(&text);
        let _ = line_of(&text, text.len() / 2);
        let _ = classify(text.as_bytes());
    }
}
