//! `/tableau-de-bord/campagnes/{id}`: a campaign's participation over time, answers per
//! question, breakdowns and, for 3.1, its companies.

use maud::{Markup, html};
use uuid::Uuid;

use super::parts::{indicator_name, option_colors, target_line};
use crate::domain::indicators::TwoLevelIndicator;
use crate::domain::results::labels::{indicator_title, value_label};
use crate::domain::results::report::{CampaignResults, CompanyPage};
use crate::domain::results::{QuestionDistribution, Timeline};
use crate::views::charts::{Segment, StackedBar, TimelineChart};
use crate::views::format::{integer, interval, percent, points};
use crate::views::layout::{staff_page, table_scroll_named};

/// Companies of 3.1 listed per page of a campaign's dashboard.
pub const COMPANIES_PER_PAGE: u64 = 100;
/// Comments a campaign page shows, at random; the API lists them all.
pub const COMMENTS_ON_PAGE: u64 = 60;

/// `comments`: the free-text answers as they may be read (`None`: withheld, too few
/// respondents of an anonymous questionnaire).
pub fn campaign_page(results: &CampaignResults, comments: Option<&[(String, String)]>) -> Markup {
    let code = results.code;
    let r = &results.report;
    let title = format!("Campagne « {} »", results.campaign.label);
    let id = results.campaign.id;
    staff_page(
        &title,
        html! {
            p.breadcrumb { a href="/tableau-de-bord" { "Indicateurs" } " › " (title) }
            h1 { (title) }
            p.lead { (indicator_name(code)) " – " (indicator_title(code)) }
            p.links {
                @if results.anonymous {
                    a href={"/exports/campagnes/" (id) "/reponses.csv"} { "Répartitions (CSV, point-virgule)" }
                    " · "
                    a href={"/exports/campagnes/" (id) "/reponses.csv?sep=,"} { "Répartitions (CSV, virgule)" }
                } @else {
                    a href={"/exports/campagnes/" (id) "/reponses.csv"} { "Réponses (CSV, point-virgule)" }
                    " · "
                    a href={"/exports/campagnes/" (id) "/reponses.csv?sep=,"} { "Réponses (CSV, virgule)" }
                    " · "
                    a href={"/exports/campagnes/" (id) "/codebook"} { "Dictionnaire des variables" }
                }
            }
            @if !results.anonymous {
                (super::codebook::downloads(id))
            }
            @if results.anonymous {
                p.notice {
                    "Questionnaire anonyme : aucune donnée individuelle n’est affichée ni exportée, \
                     et les groupes de moins de " (results.threshold) " répondants sont masqués."
                }
            }

            section aria-labelledby="titre-synthese" {
                h2 #titre-synthese { "Synthèse" }
                dl.facts {
                    div { dt { "Répondants" } dd { (integer(r.respondents)) } }
                    @if let Some(p) = results.participation {
                        div { dt { "Invitations envoyées" } dd { (integer(p.sent())) } }
                        div { dt { "Adresses en échec définitif" } dd { (integer(p.failed())) } }
                        @if let Some(d) = results.delivery.as_ref().filter(|d| d.retrying > 0) {
                            div {
                                dt { "Courriels en attente d’un nouvel essai" }
                                dd {
                                    (integer(d.retrying))
                                    @if let Some(error) = &d.last_error { " (dernière erreur : " (error) ")" }
                                }
                            }
                        }
                        div { dt { "Liens ouverts" } dd { (integer(results.opened)) } }
                        @if let Some(d) = results.delivery.as_ref().filter(|d| d.bounced + d.deferred + d.complained > 0) {
                            div {
                                dt { "Retours de messagerie" }
                                dd {
                                    (integer(d.bounced)) " adresse(s) non distribuable(s), "
                                    (integer(d.deferred)) " distribution(s) retardée(s), "
                                    (integer(d.complained)) " signalement(s) comme indésirable"
                                }
                            }
                        }
                        div { dt { "Taux de participation" } dd { (percent(p.rate())) " des invitations envoyées (hors échecs d’envoi définitifs)" } }
                        div {
                            dt { "Taux de participation des personnes jointes" }
                            dd {
                                (percent(p.rate_over_reached())) " de " (integer(p.reached())) " personne(s) jointe(s) "
                                "(invitations envoyées moins " (integer(p.undeliverable())) " adresse(s) non distribuable(s))"
                            }
                        }
                    }
                    div {
                        dt { "Résultat de la campagne" }
                        dd { (percent(r.value)) " – " (value_label(code)) }
                    }
                    div { dt { "Intervalle de confiance à 95 %" } dd { (interval(r.interval)) } }
                    @if let Some(overall) = r.overall() {
                        div { dt { "Perception d’ensemble" } dd { (percent(overall.rate())) " (n = " (integer(overall.n())) ")" } }
                    }
                    @if let Some(two_level) = &r.two_level {
                        div { dt { "Tous répondants regroupés" } dd { (percent(two_level.pooled_value)) } }
                    }
                }
                p { (target_line("Objectif de l’indicateur", r.target, r.target_met())) }
                @if results.masked {
                    p.notice {
                        "Moins de " (results.threshold) " réponses : les résultats ne sont pas affichés, \
                         pour préserver l’anonymat des répondants."
                    }
                }
            }

            section aria-labelledby="titre-temps" {
                h2 #titre-temps { "Participation dans le temps" }
                (timeline_section(&results.timeline, results.participation.is_some()))
            }

            @if !results.participation_groups.is_empty() {
                (participation_groups_section(results))
            }

            @if !results.distributions.is_empty() {
                section aria-labelledby="titre-questions" {
                    h2 #titre-questions { "Réponses par question" }
                    @for (i, d) in results.distributions.iter().enumerate() {
                        (question_block(i + 1, d))
                    }
                }
            }

            @if !results.breakdowns.is_empty() {
                section aria-labelledby="titre-tris" {
                    h2 #titre-tris { "Tris" }
                    p {
                        "Pour chaque groupe : ses répondants et la moyenne des taux favorables de ses \
                         réponses aux questions de l’indicateur (répondants du groupe regroupés)."
                    }
                    @if let Some(previous) = &results.previous_wave {
                        p {
                            "Évolution : en points depuis la vague « " (previous) " », pour les groupes publiés dans les deux vagues ; « * » : différence significative au seuil de 5 %."
                        }
                    }
                    @for b in &results.breakdowns {
                        @let overall = r.overall().is_some();
                        @let compared = results.previous_wave.is_some();
                        @let span = 2 + usize::from(overall) + usize::from(compared);
                        (table_scroll_named(&b.label, html! {
                            table {
                                caption { (b.label) }
                                thead {
                                    tr {
                                        th scope="col" { (b.label) }
                                        th scope="col" { "Répondants" }
                                        th scope="col" { "Résultat" }
                                        @if overall { th scope="col" { "Perception d’ensemble" } }
                                        @if compared { th scope="col" { "Évolution" } }
                                    }
                                }
                                tbody {
                                    @for (g, label) in b.breakdown.groups.iter().zip(&b.group_labels) {
                                        tr {
                                            th scope="row" { (label) }
                                            @if g.hidden {
                                                td colspan=(span - 1) { "masqué" }
                                            } @else {
                                                td { (g.respondents.map(integer).unwrap_or_default()) }
                                                td { (percent(g.value)) }
                                                @if overall { td { (percent(g.overall.and_then(|p| p.rate()))) } }
                                                @if compared {
                                                    td {
                                                        @match g.change.and_then(|c| c.points.map(|p| (p, c.test.is_some_and(|t| t.significant)))) {
                                                            Some((p, significant)) => { (points(p)) @if significant { " *" } },
                                                            None => "–",
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                                tfoot {
                                    tr {
                                        th scope="row" { "Total" }
                                        td colspan=(span - 1) {
                                            (b.breakdown.total.map_or_else(|| "masqué".to_owned(), integer))
                                        }
                                    }
                                }
                            }
                        }))
                        @if b.breakdown.hidden_count() > 0 {
                            p.hint {
                                "Groupes masqués : moins de " (results.threshold) " répondants, ou masqués \
                                 pour qu’un petit groupe ne puisse pas se déduire du total."
                            }
                        }
                    }
                }
            }

            (comments_section(results, comments))

            @if let (Some(two_level), Some(page)) = (&r.two_level, &results.company_page) {
                (companies_section(results.campaign.id, two_level, page))
            }
        },
    )
}

fn timeline_section(timeline: &Timeline, with_invitations: bool) -> Markup {
    html! {
        (TimelineChart { id: "graphique-participation", timeline, with_invitations })
        @if with_invitations {
            p.hint {
                "Les relances figurent au jour prévu par le calendrier d’envoi du questionnaire. \
                 Une hausse des réponses juste après une relance en montre l’effet."
            }
        }
    }
}

fn question_block(number: usize, d: &QuestionDistribution) -> Markup {
    let ordinal = d.options.iter().any(|o| o.favorable);
    let colors = option_colors(&d.options, ordinal);
    let segments: Vec<Segment> = d
        .options
        .iter()
        .zip(&colors)
        .map(|(o, color)| Segment {
            label: o.label.clone(),
            count: o.count,
            color,
        })
        .collect();
    let multiple = d.kind == "multiple_choice";
    html! {
        div.question-result {
            h3 { (number) ". " (d.text) }
            p.hint {
                (integer(d.answered)) " répondant" @if d.answered > 1 { "s" } " à cette question"
                @if multiple { " (plusieurs réponses possibles)" }
                @if let Some(rate) = &d.rate {
                    " – taux favorable " (percent(rate.rate())) " sur " (integer(rate.n())) " réponses exprimées, IC 95 % "
                    (interval(rate.proportion.interval_95()))
                }
                @if d.scored { " – compte dans l’indicateur" }
                @if d.overall { " – perception d’ensemble" }
            }
            @if !d.options.is_empty() {
                (StackedBar { title: &d.text, segments })
                details {
                    summary { "Détail des réponses" }
                    (table_scroll_named(&format!("Détail des réponses : {}", d.text), html! {
                        table {
                            thead { tr { th scope="col" { "Réponse" } th scope="col" { "Nombre" } th scope="col" { "Part" } } }
                            tbody {
                                @for (o, color) in d.options.iter().zip(&colors) {
                                    tr {
                                        th scope="row" {
                                            // An SVG swatch, not a style attribute: the CSP allows no inline style.
                                            svg.key viewBox="0 0 1 1" aria-hidden="true" focusable="false" { rect width="1" height="1" fill=(color) {} }
                                            (o.label)
                                            @if o.not_applicable { " (hors calcul)" }
                                        }
                                        td { (integer(o.count)) }
                                        td { (percent((d.answered > 0).then(|| o.count as f64 / d.answered as f64))) }
                                    }
                                }
                            }
                        }
                    }))
                }
            }
        }
    }
}

/// 3.1's companies, a page at a time: a campaign can have tens of thousands.
fn companies_section(campaign: Uuid, two_level: &TwoLevelIndicator, page: &CompanyPage) -> Markup {
    let first = page.offset + 1;
    let last = page.offset + page.rows.len() as u64;
    let link = |offset: u64| {
        format!("/tableau-de-bord/campagnes/{campaign}?entreprises={offset}#titre-entreprises")
    };
    html! {
        section aria-labelledby="titre-entreprises" {
            h2 #titre-entreprises { "Entreprises" }
            p {
                "Score d’une entreprise : moyenne des taux de réponses favorables de ses \
                 répondants, question par question. L’indicateur est la moyenne des scores "
                "(" (integer(two_level.companies_counted as u64)) " entreprises notées sur "
                (integer(page.total)) " ayant répondu)."
            }
            @if page.rows.is_empty() {
                p { "Aucune entreprise sur cette page." }
            } @else {
                (table_scroll_named("Scores des entreprises", html! {
                    table {
                        caption {
                            "Scores des entreprises, par référence : " (integer(first)) " à "
                            (integer(last)) " sur " (integer(page.total))
                        }
                        thead {
                            tr {
                                th scope="col" { "Entreprise" }
                                th scope="col" { "Répondants" }
                                th scope="col" { "Score" }
                            }
                        }
                        tbody {
                            @for (company, respondents, score) in &page.rows {
                                tr {
                                    th scope="row" { (company) }
                                    td { (integer(*respondents)) }
                                    td { @if score.is_some() { (percent(*score)) } @else { "sans réponse valide" } }
                                }
                            }
                        }
                    }
                }))
            }
            @if page.offset > 0 || last < page.total {
                nav aria-label="Pages des entreprises" {
                    ul.pagination {
                        @if page.offset > 0 {
                            li { a href=(link(page.offset.saturating_sub(COMPANIES_PER_PAGE))) { "Entreprises précédentes" } }
                        }
                        @if last < page.total {
                            li { a href=(link(last)) { "Entreprises suivantes" } }
                        }
                    }
                }
            }
        }
    }
}

/// The free-text answers: texts only, in random order (for an anonymous questionnaire,
/// nothing below the threshold).
fn comments_section(results: &CampaignResults, comments: Option<&[(String, String)]>) -> Markup {
    let questions: Vec<(&str, &str)> = results
        .definition
        .iter()
        .flat_map(|d| d.questions())
        .filter(|q| !q.kind.has_options())
        .map(|q| (q.id.as_str(), q.text.as_str()))
        .collect();
    html! {
        @if !questions.is_empty() {
            section aria-labelledby="titre-commentaires" {
                h2 #titre-commentaires { "Commentaires" }
                @match comments {
                    None => {
                        p.notice {
                            "Moins de " (results.threshold) " réponses : les commentaires ne sont pas affichés, pour préserver l’anonymat."
                        }
                    }
                    Some(comments) => {
                        @if results.anonymous {
                            p.hint { "Sans information sur leur auteur, dans un ordre aléatoire." }
                        }
                        p.hint {
                            "Au plus " (COMMENTS_ON_PAGE) " commentaires, pris au hasard ; tous avec "
                            code { "GET /api/v1/campaigns/" (results.campaign.id) "/comments" } "."
                        }
                        @for (id, text) in &questions {
                            @let texts: Vec<&str> = comments.iter().filter(|(q, _)| q == id).map(|(_, t)| t.as_str()).collect();
                            @if !texts.is_empty() {
                                h3 { (text) }
                                ul.comments {
                                    @for t in texts { li { (t) } }
                                }
                            }
                        }
                        @if comments.is_empty() {
                            p { "Aucun commentaire." }
                        }
                    }
                }
            }
        }
    }
}

/// Participation per roster group: invited (public, the roster) and answered, hidden where
/// it would tell who answered.
fn participation_groups_section(results: &CampaignResults) -> Markup {
    html! {
        section aria-labelledby="titre-participation-groupes" {
            h2 #titre-participation-groupes { "Participation par groupe" }
            @for table in &results.participation_groups {
                (table_scroll_named(&format!("Participation par {}", table.label.to_lowercase()), html! {
                    table {
                        caption { "Participation par " (table.label.to_lowercase()) }
                        thead {
                            tr {
                                th scope="col" { (table.label) }
                                th scope="col" { "Invités" }
                                th scope="col" { "Ont répondu" }
                                th scope="col" { "Taux" }
                            }
                        }
                        tbody {
                            @for (g, label) in table.breakdown.groups.iter().zip(&table.group_labels) {
                                tr {
                                    th scope="row" { (label) }
                                    td { (integer(g.invited)) }
                                    @match g.completed {
                                        Some(completed) => {
                                            td { (integer(completed)) }
                                            td { (percent(g.rate)) }
                                        }
                                        None => { td colspan="2" { "masqué" } }
                                    }
                                }
                            }
                        }
                        tfoot {
                            tr {
                                th scope="row" { "Total" }
                                td { (integer(table.breakdown.invited)) }
                                td colspan="2" {
                                    (table.breakdown.completed.map_or_else(|| "masqué".to_owned(), integer))
                                }
                            }
                        }
                    }
                }))
                @if table.breakdown.groups.iter().any(|g| g.completed.is_none()) {
                    p.hint {
                        "Groupes masqués : moins de " (results.threshold) " réponses, ou masqués pour \
                         qu’aucun nombre de réponses ne se déduise des autres chiffres et du nombre d’invités."
                    }
                }
            }
        }
    }
}
