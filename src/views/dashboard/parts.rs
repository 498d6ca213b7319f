//! Pieces shared by the dashboard pages.

use maud::{Markup, html};

use crate::domain::QuestionnaireCode;
use crate::domain::indicators::Target;
use crate::domain::results::report::{IndicatorEntry, PeriodRef};
use crate::domain::results::{OptionCount, PeriodChange};
use crate::views::format::{percent, points};

/// "Indicateur 3.1".
pub fn indicator_name(code: QuestionnaireCode) -> String {
    format!("Indicateur {}", code.as_str().trim_start_matches('i'))
}

/// "objectif : au moins 60,0 % – atteint", with the verdict in words (not colour alone).
pub fn target_line(label: &str, target: Target, met: Option<bool>) -> Markup {
    let (class, verdict) = match met {
        Some(true) => ("met", "atteint"),
        Some(false) => ("missed", "non atteint"),
        None => ("unknown", "pas encore mesurable"),
    };
    html! {
        span.target.(class) {
            (label) " : au moins " (percent(Some(target.threshold()))) " – " strong { (verdict) }
        }
    }
}

pub fn period_sentence(entry: &IndicatorEntry) -> String {
    match (&entry.period, entry.report.code) {
        (PeriodRef::Year(year), QuestionnaireCode::I4) => {
            format!("Année {year} (année de la réponse)")
        }
        (PeriodRef::Year(year), _) => format!("Année {year} (année d’envoi des invitations)"),
        (PeriodRef::Wave { label, .. }, _) => format!("Vague « {label} »"),
        (PeriodRef::NoWave { year }, _) => format!("Aucune vague envoyée en {year}"),
    }
}

/// "−4,3 points depuis 2025 – au-delà de la marge d’erreur".
pub fn change_sentence(from: &str, change: &PeriodChange) -> String {
    let Some(value) = change.points else {
        return format!("pas de comparaison possible avec {from}");
    };
    let verdict = match change.test {
        Some(t) if t.significant => "au-delà de la marge d’erreur (test à 5 %)",
        Some(_) => "dans la marge d’erreur (test à 5 %)",
        None => "non testé (moyenne de scores d’entreprises)",
    };
    format!("{} depuis {from} – {verdict}", points(value))
}

/// Colours of a question's options: favourable ones in greens, other valid ones in warm
/// tones, "not applicable" in grey; a categorical palette for unordered questions. Each bar
/// segment also carries its label, so colour is never the only cue.
pub fn option_colors(options: &[OptionCount], ordinal: bool) -> Vec<&'static str> {
    const FAVORABLE: [&str; 3] = ["#18753c", "#5fa878", "#a3d3b1"];
    const UNFAVORABLE: [&str; 3] = ["#f0a05a", "#d64d00", "#8f2d00"];
    const CATEGORIES: [&str; 7] = [
        "#000091", "#6a6af4", "#a5a5f9", "#2f4077", "#5770be", "#9fa6cf", "#c9cce9",
    ];
    let (mut fav, mut unfav) = (0, 0);
    options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            if !ordinal {
                CATEGORIES[i % CATEGORIES.len()]
            } else if o.not_applicable {
                "#929292"
            } else if o.favorable {
                fav += 1;
                FAVORABLE[(fav - 1) % FAVORABLE.len()]
            } else {
                unfav += 1;
                UNFAVORABLE[(unfav - 1) % UNFAVORABLE.len()]
            }
        })
        .collect()
}
