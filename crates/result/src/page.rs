//! `GET /`: the result page, complete on first paint and then kept live by
//! the `/events` stream.
//!
//! Everything is inline (no CDN, no external fonts), because the stack
//! runs where nothing can be fetched from the internet.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use voting::ballot::{Choice, Options};
use voting::tally::Tally;

use crate::snapshot::{Snapshot, percentages};

/// The page's style: two halves side by side, stacked on narrow screens.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330;min-height:100vh;display:flex;flex-direction:column}
header{padding:1.25rem 1rem .5rem;text-align:center}
h1{margin:0;font-size:clamp(1.3rem,4vw,2rem);font-weight:650}
main{flex:1;display:flex;flex-direction:column;gap:1.25rem;padding:1rem;max-width:60rem;width:100%;margin:0 auto}
.options{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.option{border-radius:1rem;padding:1.5rem 1rem;text-align:center;color:#fff;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.option.a{background:#2f6fde}.option.b{background:#e0593a}
.label{font-size:clamp(1.1rem,3.5vw,1.6rem);font-weight:600;overflow-wrap:anywhere}
.share{font-size:clamp(2.6rem,12vw,5rem);font-weight:700;font-variant-numeric:tabular-nums;line-height:1.1}
.votes{font-variant-numeric:tabular-nums;opacity:.9}
.bar{display:flex;height:.9rem;border-radius:.45rem;overflow:hidden;background:#e0593a}
.bar>div{background:#2f6fde;transition:width .3s ease}
.total{text-align:center;font-size:1.15rem;font-variant-numeric:tabular-nums;margin:0}
.status{text-align:center;font-size:.85rem;color:#5b6475;margin:0}
.status::before{content:"";display:inline-block;width:.55rem;height:.55rem;border-radius:50%;margin-right:.4rem;background:#9aa1ad;vertical-align:middle}
.status.live::before{background:#1f9d55}
@media (max-width:30rem){.options{grid-template-columns:1fr}}
"#;

/// Keeps the numbers live: an `EventSource` on `events` (relative, so the
/// page also works behind a path prefix). The browser reconnects a dropped
/// stream by itself; a refused one is retried here with a capped backoff.
const SCRIPT: &str = r#"
(function () {
  var $ = function (id) { return document.getElementById(id); };
  function plural(n) { return n === 1 ? " vote" : " votes"; }
  function show(t) {
    var a = Number(t.a) || 0, b = Number(t.b) || 0, total = a + b;
    var pa = total > 0 ? Math.round(a * 100 / total) : 50, pb = 100 - pa;
    $("share-a").textContent = pa + "%";
    $("share-b").textContent = pb + "%";
    $("votes-a").textContent = a + plural(a);
    $("votes-b").textContent = b + plural(b);
    $("bar-a").style.width = pa + "%";
    $("total").textContent = total + plural(total);
  }
  function status(live, text) {
    var s = $("status");
    s.className = live ? "status live" : "status";
    s.textContent = text;
  }
  var delay = 1000;
  function connect() {
    var source = new EventSource("events");
    source.onopen = function () { delay = 1000; status(true, "Live"); };
    source.onmessage = function (e) { show(JSON.parse(e.data)); };
    source.onerror = function () {
      status(false, "Reconnecting\u2026");
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      }
    };
  }
  if (window.EventSource) { connect(); } else { status(false, "Reload for new results"); }
})();
"#;

/// Renders the page with the counts known now; `None` before the first
/// count, which shows an even split and no votes.
pub(crate) fn render(options: &Options, snapshot: Option<&Snapshot>) -> Markup {
    let tally = snapshot.map(Snapshot::tally).unwrap_or_default();
    let (share_a, share_b) = percentages(tally);
    let title = format!("{} vs {}", options.a, options.b);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " \u{2014} results" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { h1 { (title) } }
                main {
                    section.options {
                        (option(Choice::A, options, tally, share_a))
                        (option(Choice::B, options, tally, share_b))
                    }
                    div.bar role="presentation" {
                        div id="bar-a" style={ "width:" (share_a) "%" } {}
                    }
                    p.total id="total" { (votes(tally.total())) }
                    p.status id="status" { "Connecting\u{2026}" }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn option(choice: Choice, options: &Options, tally: Tally, share: i64) -> Markup {
    let id = choice.as_str();
    let count = match choice {
        Choice::A => tally.a,
        Choice::B => tally.b,
    };
    html! {
        div class={ "option " (id) } {
            div.label id=(format!("label-{id}")) { (options.label(choice)) }
            div.share id=(format!("share-{id}")) { (share) "%" }
            div.votes id=(format!("votes-{id}")) { (votes(count)) }
        }
    }
}

fn votes(count: i64) -> String {
    if count == 1 {
        "1 vote".to_owned()
    } else {
        format!("{count} votes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_configured_labels_escaped() {
        let options = Options {
            a: "<b>Tabs</b>".into(),
            b: "Spaces".into(),
        };
        let page = render(&options, None).into_string();
        assert!(page.contains("&lt;b&gt;Tabs&lt;/b&gt;"), "{page}");
        assert!(!page.contains("<b>Tabs"), "{page}");
        assert!(page.contains("Spaces"));
        assert!(!page.contains("Cats"));
    }

    #[test]
    fn shows_the_current_counts_before_any_script_runs() {
        let snapshot = Snapshot::new(Tally { a: 1, b: 3 });
        let page = render(&Options::default(), Some(&snapshot)).into_string();
        assert!(page.contains(r#"id="share-a">25%<"#), "{page}");
        assert!(page.contains(r#"id="share-b">75%<"#), "{page}");
        assert!(page.contains(r#"id="votes-a">1 vote<"#), "{page}");
        assert!(page.contains(r#"id="total">4 votes<"#), "{page}");
        assert!(page.contains("width:25%"), "{page}");
    }
}
