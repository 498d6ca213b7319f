use maud::{DOCTYPE, Markup, html};

/// The one page shell: French, responsive, a skip link, the stylesheet, no script.
pub fn page(title: &str, content: Markup) -> Markup {
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
                    div.container {
                        p.brand {
                            span.brand-name { "Anact" }
                            span.brand-tagline { "Réseau Anact-Aract – conditions de travail" }
                        }
                    }
                }
                main #contenu .container tabindex="-1" {
                    (content)
                }
                footer.site-footer {
                    div.container {
                        p { "Agence nationale pour l’amélioration des conditions de travail" }
                    }
                }
            }
        }
    }
}
