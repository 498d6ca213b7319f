use std::collections::HashMap;

use maud::{Markup, html};

use crate::domain::network::Network;
use crate::domain::registration::FieldError;
use crate::views::layout::staff_page;

pub struct RegistrationForms<'a> {
    pub csrf: &'a str,
    pub network: &'a Network,
    /// The values sent with the form that failed, to correct them.
    pub values: &'a HashMap<String, String>,
    pub errors: &'a [FieldError],
    /// Which form failed (`intervention`, `coproduction`, `vague`).
    pub failed: Option<&'a str>,
    /// What was just registered.
    pub done: Option<&'a str>,
}

const SIZE_BANDS: &[&str] = &["1-9", "10-49", "50-249", "250+"];
const KINDS: &[(&str, &str)] = &[
    ("accompagnement_individuel", "Accompagnement individuel"),
    ("accompagnement_collectif", "Accompagnement collectif"),
    ("formation_intra", "Formation intra"),
];

impl RegistrationForms<'_> {
    fn value(&self, form: &str, name: &str) -> &str {
        if self.failed == Some(form) {
            self.values
                .get(name)
                .map(String::as_str)
                .unwrap_or_default()
        } else {
            ""
        }
    }

    fn errors_of(&self, form: &str) -> Markup {
        html! {
            @if self.failed == Some(form) {
                div.error-summary role="alert" tabindex="-1" {
                    h3 { (self.errors.len()) " erreur(s) : rien n’a été enregistré" }
                    ul {
                        @for e in self.errors {
                            li { (e.field) " : " (e.message) }
                        }
                    }
                }
            }
        }
    }

    fn text(&self, form: &str, name: &str, label: &str, kind: &str) -> Markup {
        let id = format!("{form}-{name}");
        html! {
            div.question {
                label for=(id) { (label) }
                input #(id) type=(kind) name=(name) value=(self.value(form, name));
            }
        }
    }

    fn select(&self, form: &str, name: &str, label: &str, options: &[(String, String)]) -> Markup {
        let id = format!("{form}-{name}");
        let current = self.value(form, name);
        html! {
            div.question {
                label for=(id) { (label) }
                select #(id) name=(name) {
                    @for (value, text) in options {
                        option value=(value) selected[current == value] { (text) }
                    }
                }
            }
        }
    }

    fn entities(&self) -> Vec<(String, String)> {
        self.network
            .entities()
            .iter()
            .map(|e| (e.code.clone(), e.name.clone()))
            .collect()
    }
}

pub fn registrations_page(f: &RegistrationForms<'_>) -> Markup {
    let bands: Vec<(String, String)> = SIZE_BANDS
        .iter()
        .map(|b| ((*b).to_owned(), format!("{b} salarié·es")))
        .collect();
    let kinds: Vec<(String, String)> = KINDS
        .iter()
        .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
        .collect();
    let waves = vec![
        (
            "i6".to_owned(),
            "i6 – instances paritaires régionales".to_owned(),
        ),
        ("i7".to_owned(), "i7 – agents de l’agence".to_owned()),
    ];
    staff_page(
        "Enregistrements",
        html! {
            p.breadcrumb { a href="/admin" { "Administration" } }
            h1 { "Enregistrer une intervention, une co-production, une vague" }
            p.lead { "Les mêmes vérifications que l’API et les imports ; un même enregistrement fait deux fois ne crée rien de nouveau. Pour de nombreuses lignes, utilisez les " a href="/admin/imports" { "imports CSV" } "." }
            @if let Some(done) = f.done {
                p.notice role="status" { (done) }
            }
            form.form-section method="post" action="/admin/enregistrements/intervention" {
                h2 { "Intervention (indicateur 3.1)" }
                (f.errors_of("intervention"))
                input type="hidden" name="_csrf" value=(f.csrf);
                (f.text("intervention", "reference", "Référence", "text"))
                (f.text("intervention", "entreprise", "Entreprise", "text"))
                (f.text("intervention", "siret", "SIRET (facultatif)", "text"))
                (f.select("intervention", "tranche_effectif", "Tranche d’effectif", &bands))
                (f.text("intervention", "secteur", "Secteur (facultatif)", "text"))
                (f.select("intervention", "type", "Type d’intervention", &kinds))
                (f.select("intervention", "entite", "Entité", &f.entities()))
                (f.text("intervention", "debut", "Début (AAAA-MM-JJ)", "date"))
                (f.text("intervention", "fin", "Fin (AAAA-MM-JJ)", "date"))
                div.question {
                    label for="intervention-participants" { "Participant·es, une personne par ligne : email ; nom ; fonction" }
                    textarea #intervention-participants name="participants" rows="5" { (f.value("intervention", "participants")) }
                }
                div.form-actions { button.button.primary type="submit" { "Enregistrer l’intervention" } }
            }
            form.form-section method="post" action="/admin/enregistrements/coproduction" {
                h2 { "Co-production (indicateur 3.2)" }
                (f.errors_of("coproduction"))
                input type="hidden" name="_csrf" value=(f.csrf);
                (f.text("coproduction", "reference", "Référence", "text"))
                (f.text("coproduction", "outil", "Outil", "text"))
                (f.select("coproduction", "entite", "Entité", &f.entities()))
                (f.text("coproduction", "finalise_le", "Finalisé le (AAAA-MM-JJ)", "date"))
                div.question {
                    label for="coproduction-contacts" { "Contacts relais, un par ligne : organisme ; email ; nom" }
                    textarea #coproduction-contacts name="contacts" rows="5" { (f.value("coproduction", "contacts")) }
                }
                div.form-actions { button.button.primary type="submit" { "Enregistrer la co-production" } }
            }
            form.form-section method="post" action="/admin/enregistrements/vague" {
                h2 { "Vague (indicateurs 6 et 7)" }
                (f.errors_of("vague"))
                input type="hidden" name="_csrf" value=(f.csrf);
                (f.select("vague", "questionnaire", "Questionnaire", &waves))
                (f.text("vague", "libelle", "Libellé (par exemple 2026)", "text"))
                (f.text("vague", "jalon", "Jalon de la réorganisation (AAAA-MM-JJ), ou…", "date"))
                (f.text("vague", "envoi", "… date d’envoi choisie (AAAA-MM-JJ)", "date"))
                div.form-actions { button.button.primary type="submit" { "Enregistrer la vague" } }
            }
        },
    )
}
