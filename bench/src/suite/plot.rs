//! `--plot`: an SVG chart of the ratios, one group of bars per table row,
//! drawn as speed relative to the reference (its median ÷ the runtime's,
//! so longer is better) on a log scale.

use std::fmt::Write as _;

use super::report::Report;
use crate::rt::Kind;

const LABEL: f64 = 300.0;
const CHART: f64 = 560.0;
const BAR: f64 = 8.0;
const GAP: f64 = 10.0;
/// The scale runs from 1/16× to 16×.
const SPAN: f64 = 4.0;

fn color(kind: Kind) -> &'static str {
    match kind {
        Kind::BatonEpollMulti => "#1f6feb",
        Kind::BatonEpollLocal => "#58a6ff",
        Kind::BatonPollMulti => "#0b7a75",
        Kind::BatonPollLocal => "#3fb9a8",
        Kind::BatonUringMulti => "#8250df",
        Kind::BatonUringLocal => "#c297ff",
        Kind::BatonUringCompletionLocal => "#bf3989",
        Kind::BatonUringOwnedLocal => "#e85aad",
        Kind::BatonEpollOwnedLocal => "#79c0ff",
        Kind::TokioMulti => "#8b949e",
        Kind::TokioCurrent => "#c9d1d9",
        Kind::SmolMulti => "#d29922",
        Kind::SmolLocal => "#f2cc60",
        Kind::HostTokioMulti => "#6e7681",
        Kind::HostTokioCurrent => "#adbac7",
        Kind::HostTokioGuestMulti => "#57606a",
        Kind::HostTokioGuestCurrent => "#d0d7de",
        Kind::HostSmolMulti => "#9e6a03",
        Kind::HostSmolLocal => "#e3b341",
        Kind::Mio => "#a371f7",
        Kind::Redis => "#da3633",
        Kind::MiniRedis => "#f0883e",
    }
}

/// The chart.
pub(crate) fn svg(report: &Report) -> String {
    let kinds: Vec<Kind> = Kind::ALL.into_iter().collect();
    let mut body = String::new();
    let mut y = 40.0;
    let x_of = |speed: f64| {
        let l = speed.log2().clamp(-SPAN, SPAN);
        LABEL + (l + SPAN) / (2.0 * SPAN) * CHART
    };
    for row in &report.rows {
        let bars: Vec<(Kind, f64)> = kinds
            .iter()
            .filter_map(|k| Some((*k, row.stats.get(k)?.ratio?)))
            .filter(|(_, r)| *r > 0.0)
            .collect();
        if bars.is_empty() {
            continue;
        }
        let height = bars.len() as f64 * BAR;
        let _ = writeln!(
            body,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end" font-size="11">{} {} {}</text>"#,
            LABEL - 8.0,
            y + height / 2.0 + 4.0,
            row.workload,
            row.size,
            row.metric
        );
        for (i, (kind, ratio)) in bars.iter().enumerate() {
            let speed = 1.0 / ratio;
            let (a, b) = (x_of(1.0), x_of(speed));
            let _ = writeln!(
                body,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{kind}: {speed:.2}× the reference</title></rect>"#,
                a.min(b),
                y + i as f64 * BAR,
                (a - b).abs().max(1.0),
                BAR - 1.0,
                color(*kind)
            );
        }
        y += height + GAP;
    }
    let mut svg = String::new();
    let width = LABEL + CHART + 160.0;
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" font-family="sans-serif">"#,
        y + 30.0
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="18" font-size="13">Reference median ÷ median (reference: tokio-multi; redis-server for resp), log scale: right of 1× is faster or smaller</text>"#
    );
    for e in -4..=4 {
        let x = x_of(2f64.powi(e));
        let label = if e >= 0 {
            format!("{}×", 1 << e)
        } else {
            format!("1/{}×", 1 << -e)
        };
        let stroke = if e == 0 { "#000" } else { "#ddd" };
        let _ = writeln!(
            svg,
            r#"<line x1="{x:.1}" y1="28" x2="{x:.1}" y2="{:.0}" stroke="{stroke}"/><text x="{x:.1}" y="{:.0}" font-size="10" text-anchor="middle">{label}</text>"#,
            y,
            y + 14.0
        );
    }
    svg.push_str(&body);
    for (i, kind) in kinds.iter().enumerate() {
        let ly = 40.0 + i as f64 * 16.0;
        let lx = LABEL + CHART + 20.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx:.0}" y="{:.0}" width="10" height="10" fill="{}"/><text x="{:.0}" y="{:.0}" font-size="11">{kind}</text>"#,
            ly,
            color(*kind),
            lx + 14.0,
            ly + 9.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}
