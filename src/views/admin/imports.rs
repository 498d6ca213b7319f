use maud::{Markup, html};
use uuid::Uuid;

use crate::import::ImportReport;
use crate::views::layout::staff_page;

/// A wave (i6, i7 campaign) a roster may be imported into.
pub struct WaveChoice {
    pub id: Uuid,
    pub label: String,
}

fn upload_form(
    kind: &str,
    legend: &str,
    columns: &str,
    csrf: &str,
    waves: Option<&[WaveChoice]>,
) -> Markup {
    html! {
        form.form-section method="post" enctype="multipart/form-data" action={"/admin/imports?_csrf=" (csrf)} {
            h2 { (legend) }
            p.hint { "Colonnes : " (columns) }
            input type="hidden" name="type" value=(kind);
            @if let Some(waves) = waves {
                div.question {
                    label for={"vague-" (kind)} { "Vague" }
                    select #{"vague-" (kind)} name="vague" required {
                        @for wave in waves {
                            option value=(wave.id) { (wave.label) }
                        }
                    }
                }
            }
            div.question {
                label for={"fichier-" (kind)} { "Fichier CSV (UTF-8 ou Windows-1252, « ; » ou « , »)" }
                input #{"fichier-" (kind)} type="file" name="fichier" accept=".csv,text/csv" required;
            }
            div.option {
                input #{"lignes-" (kind)} type="checkbox" name="lignes_valides" value="oui";
                label for={"lignes-" (kind)} { "Importer les lignes valides même si d’autres sont rejetées" }
            }
            div.form-actions {
                button.button.primary type="submit" { "Importer" }
            }
        }
    }
}

pub fn imports_page(waves: &[WaveChoice], csrf: &str) -> Markup {
    staff_page(
        "Imports CSV",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Imports CSV" }
            p.lead { "Les mêmes imports que la commande jalon import : un même fichier importé deux fois ne crée rien de nouveau ; chaque ligne rejetée est indiquée avec son numéro." }
            (upload_form("interventions", "Interventions (indicateur 3.1, une ligne par participant)",
                "reference, entreprise, siret, tranche_effectif, secteur, type, entite, debut, fin, email, nom, fonction", csrf, None))
            (upload_form("coproductions", "Co-productions (indicateur 3.2, une ligne par contact relais)",
                "reference, outil, entite, finalise_le, organisme, email, nom", csrf, None))
            @if waves.is_empty() {
                h2 { "Liste d’une vague (indicateurs 6 et 7)" }
                p { "Aucune vague : enregistrez d’abord une vague (POST /api/v1/waves)." }
            } @else {
                (upload_form("roster", "Liste d’une vague (indicateurs 6 et 7)",
                    "email, nom, entite (i7), region et college (i6)", csrf, Some(waves)))
            }
        },
    )
}

pub fn import_report_page(report: &ImportReport) -> Markup {
    let failed = !report.rejected.is_empty();
    staff_page(
        "Rapport d’import",
        html! {
            p.breadcrumb { a href="/admin/imports" { "Imports CSV" } }
            h1 { "Rapport d’import" }
            @if report.aborted {
                div.error-summary role="alert" {
                    h2 { (report.rejected.len()) " erreur(s) : rien n’a été importé" }
                    p { "Corrigez le fichier, ou cochez « Importer les lignes valides »." }
                }
            } @else {
                p.notice role="status" {
                    (report.accepted) " élément(s) accepté(s), dont " (report.created) " nouveau(x) ; "
                    (report.invitations_added) " invitation(s) ajoutée(s) ; " (report.rejected.len()) " ligne(s) rejetée(s)."
                }
            }
            p { (report.rows) " ligne(s) lue(s)." }
            @if !report.ignored_columns.is_empty() {
                p { "Colonnes ignorées : " (report.ignored_columns.join(", ")) }
            }
            @if failed {
                h2 { "Lignes rejetées" }
                ul {
                    @for rejection in &report.rejected {
                        li { (rejection) }
                    }
                }
            }
        },
    )
}
