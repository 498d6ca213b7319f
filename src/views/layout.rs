use maud::{DOCTYPE, Markup, html};

/// The one page shell: French, responsive, a skip link, the stylesheet, no script.
pub fn page(title: &str, content: Markup) -> Markup {
    shell(title, None, content)
}

/// The same shell for staff pages (all behind the sign-in): wider, with the navigation.
pub fn staff_page(title: &str, content: Markup) -> Markup {
    let nav = html! {
        nav.staff-nav aria-label="Espace résultats" {
            ul {
                li { a href="/tableau-de-bord" { "Indicateurs" } }
                li { a href="/tableau-de-bord#campagnes" { "Campagnes" } }
                li { a href="/tableau-de-bord/ressources" { "Ressources téléchargées" } }
                li { a href="/admin" { "Administration" } }
                li { a href="/connexion" { "Votre session" } }
            }
        }
    };
    shell(title, Some(nav), content)
}

/// A data table that may be wider than a small screen: it scrolls inside this region, never
/// the page (RGAA 10.11, reflow at 320 px). The region is named by `labelled_by` (the id of
/// the table's caption or heading) and focusable, so that it scrolls from the keyboard too.
pub fn table_scroll(labelled_by: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-labelledby=(labelled_by) tabindex="0" {
            (table)
        }
    }
}

/// [`table_scroll`] for a table without a captioned id to point at: the region is named by
/// `name` itself.
pub fn table_scroll_named(name: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-label=(name) tabindex="0" {
            (table)
        }
    }
}

fn shell(title: &str, nav: Option<Markup>, content: Markup) -> Markup {
    let staff = nav.is_some();
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Anact" }
                link rel="stylesheet" href="/static/jalon.css";
                // No favicon request: nothing to fetch, nothing to log.
                link rel="icon" href="data:,";
            }
            body {
                a.skip-link href="#contenu" { "Aller au contenu" }
                header.site-header {
                    div.container.wide[staff] {
                        p.brand {
                            span.brand-name { "Anact" }
                            span.brand-tagline { "Réseau Anact-Aract – conditions de travail" }
                        }
                        @if let Some(nav) = nav {
                            (nav)
                        }
                    }
                }
                main #contenu .container.wide[staff] tabindex="-1" {
                    (content)
                }
                footer.site-footer {
                    div.container.wide[staff] {
                        p { "Agence nationale pour l’amélioration des conditions de travail" }
                    }
                }
            }
        }
    }
}
