//! The ballot page, rendered once per choice at start: the options and the
//! host name never change while the process runs, so serving it is a copy.

use axum::body::Bytes;
use axum::response::Html;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use voting::ballot::{Choice, Options};

/// The page in its three states: no vote yet, voted `a`, voted `b`.
pub(crate) struct Pages {
    fresh: Bytes,
    voted_a: Bytes,
    voted_b: Bytes,
}

impl Pages {
    pub(crate) fn render(options: &Options, hostname: &str) -> Pages {
        let render = |voted| Bytes::from(page(options, hostname, voted).into_string());
        Pages {
            fresh: render(None),
            voted_a: render(Some(Choice::A)),
            voted_b: render(Some(Choice::B)),
        }
    }

    pub(crate) fn get(&self, voted: Option<Choice>) -> Html<Bytes> {
        Html(self.bytes(voted).clone())
    }

    /// The rendered page, for the lean path to copy into its answer.
    pub(crate) fn bytes(&self, voted: Option<Choice>) -> &Bytes {
        match voted {
            None => &self.fresh,
            Some(Choice::A) => &self.voted_a,
            Some(Choice::B) => &self.voted_b,
        }
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;
 font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2933}
main{width:min(92vw,34rem);background:#fff;border-radius:1rem;box-shadow:0 10px 30px rgba(0,0,0,.08);padding:2rem}
h1{margin:0 0 1.5rem;font-size:clamp(1.4rem,5vw,2rem);text-align:center}
form{display:grid;gap:1rem}
button{font:inherit;font-size:1.25rem;font-weight:600;border:0;border-radius:.75rem;padding:1.1rem;cursor:pointer;color:#fff;
 transition:transform .08s ease,filter .15s ease}
button:hover{filter:brightness(1.08)}button:active{transform:scale(.98)}
button.a{background:#2f80ed}button.b{background:#eb5757}
button[aria-pressed=true]{outline:4px solid #27ae60;outline-offset:3px}
button[aria-pressed=true]::after{content:" \2714"}
p{text-align:center;color:#52606d;margin:1.25rem 0 0}
footer{margin-top:1rem;font-size:.85rem;color:#7b8794}
"#;

fn page(options: &Options, hostname: &str, voted: Option<Choice>) -> Markup {
    let title = format!("{} vs {}!", options.a, options.b);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (title) }
                    form method="post" action="/" {
                        @for choice in Choice::ALL {
                            button id=(choice.as_str()) class=(choice.as_str()) type="submit" name="vote"
                                value=(choice.as_str()) aria-pressed=(voted == Some(choice)) {
                                (options.label(choice))
                            }
                        }
                    }
                    p { "(Tip: you can change your vote)" }
                }
                footer { "Processed by container ID " code { (hostname) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: Html<Bytes>) -> String {
        String::from_utf8(html.0.to_vec()).unwrap()
    }

    #[test]
    fn the_page_shows_labels_host_and_choice() {
        let options = Options {
            a: "Tabs".into(),
            b: "<Spaces>".into(),
        };
        let pages = Pages::render(&options, "box-1");
        let fresh = text(pages.get(None));
        assert!(
            fresh.contains("Tabs vs &lt;Spaces&gt;!"),
            "labels are escaped"
        );
        assert!(fresh.contains("box-1"));
        assert!(!fresh.contains(r#"aria-pressed="true""#));
        let voted = text(pages.get(Some(Choice::B)));
        assert!(
            voted.contains(r#"value="b" aria-pressed="true""#),
            "{voted}"
        );
        assert!(voted.contains(r#"value="a" aria-pressed="false""#));
    }
}
