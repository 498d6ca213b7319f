//! The HTML part of an email: the same paragraphs as the text part, links clickable.

use maud::{DOCTYPE, Markup, html};

use crate::domain::email_template::RenderedEmail;

pub fn email_html(email: &RenderedEmail) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (email.subject) }
            }
            body style="font-family: Arial, sans-serif; line-height: 1.5; color: #161616; max-width: 40rem;" {
                @for paragraph in &email.paragraphs {
                    p {
                        @for (fragment, is_link) in paragraph {
                            @if *is_link {
                                // A long link breaks anywhere rather than widen a phone's screen.
                                a href=(fragment) style="color: #000091; overflow-wrap: anywhere; word-break: break-word;" { (fragment) }
                            } @else {
                                @for (j, line) in fragment.split('\n').enumerate() {
                                    @if j > 0 { br; }
                                    (line)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
