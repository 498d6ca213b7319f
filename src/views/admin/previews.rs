use maud::{Markup, html};

use crate::catalog::Catalog;
use crate::domain::QuestionnaireCode;
use crate::domain::email_template::RenderedEmail;
use crate::views::layout::{staff_page, table_scroll_named};

pub fn questionnaires_page(catalog: &Catalog) -> Markup {
    staff_page(
        "Questionnaires",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Questionnaires et messages" }
            (table_scroll_named("Questionnaires et messages", html! {
                table {
                    thead {
                        tr {
                            th scope="col" { "Questionnaire" }
                            th scope="col" { "Titre" }
                            th scope="col" { "Aperçus" }
                            th scope="col" { "Modifier" }
                        }
                    }
                    tbody {
                        @for loaded in catalog.iter() {
                            @let code = loaded.definition.code;
                            tr {
                                td { (code) }
                                td { (loaded.definition.title) }
                                td {
                                    a href={"/admin/questionnaires/" (code) "/apercu"} { "Formulaire" }
                                    " · "
                                    a href={"/admin/questionnaires/" (code) "/email"} { "Invitation" }
                                    " · "
                                    a href={"/admin/questionnaires/" (code) "/email?type=relance"} { "Relance" }
                                }
                                td {
                                    a href={"/admin/questionnaires/" (code) "/edition"} { "Modifier" }
                                    " · "
                                    a href={"/admin/questionnaires/" (code) "/pilote"} { "Tester" }
                                }
                            }
                        }
                    }
                }
            }))
        },
    )
}

pub struct EmailPreview<'a> {
    pub code: QuestionnaireCode,
    pub reminder: bool,
    /// The draft's emails (else those in use): no HTML part, no test to send.
    pub draft: bool,
    pub email: &'a RenderedEmail,
    pub csrf: &'a str,
    /// False for an API token: it has no address to send a test to.
    pub can_send: bool,
    /// The address a test was just queued for.
    pub sent_to: Option<&'a str>,
}

pub fn email_page(preview: &EmailPreview<'_>) -> Markup {
    let kind = if preview.reminder {
        "relance"
    } else {
        "invitation"
    };
    let what = if preview.reminder {
        "Relance"
    } else {
        "Invitation"
    };
    let of = if preview.draft {
        "du brouillon du questionnaire"
    } else {
        "du questionnaire"
    };
    staff_page(
        &if preview.draft {
            format!("{what} du brouillon – {}", preview.code)
        } else {
            format!("{what} – {}", preview.code)
        },
        html! {
            p.breadcrumb {
                @if preview.draft {
                    a href={"/admin/questionnaires/" (preview.code) "/edition"} { "Modifier le questionnaire " (preview.code) }
                } @else {
                    a href="/admin/questionnaires" { "Questionnaires et messages" }
                }
            }
            h1 { (what) " " (of) " " (preview.code) }
            @if let Some(to) = preview.sent_to {
                p.notice role="status" { "Essai mis en file pour " (to) " : il part au prochain passage de l’envoi." }
            }
            p.lead { "Avec des valeurs d’exemple (Camille Martin, l’Aract Bretagne, un lien fictif)." }
            dl.facts {
                div { dt { "Objet" } dd { (preview.email.subject) } }
            }
            h2 { "Texte" }
            pre.email-text { (preview.email.text) }
            @if !preview.draft {
                p { a href={"/admin/questionnaires/" (preview.code) "/email.html?type=" (kind)} { "Voir la version HTML" } }
            }
            @if preview.can_send {
                form method="post" action={"/admin/questionnaires/" (preview.code) "/email/essai?type=" (kind)} {
                    input type="hidden" name="_csrf" value=(preview.csrf);
                    button.button.primary type="submit" { "M’envoyer un essai" }
                }
            }
        },
    )
}
