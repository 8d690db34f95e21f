//! Crosstab renderings: plain text for a terminal, CSV, and a self-contained HTML page with
//! a heatmap. Zero cells print as `-` so the eye finds activity.

use super::crosstab::{Crosstab, Section};
use crate::pipeline::features::csv_field;
use std::fmt::Write;

fn header_labels(crosstab: &Crosstab, section: Section) -> Vec<String> {
    let mut labels: Vec<String> = crosstab.by.iter().map(|f| f.name().to_string()).collect();
    if section.has_decision() {
        labels.push("decision".into());
    }
    labels
}

fn cell_text(count: u64) -> String {
    if count == 0 {
        "-".into()
    } else {
        count.to_string()
    }
}

/// The crosstab as aligned plain text, one block per section (empty sections say so).
pub fn to_text(crosstab: &Crosstab) -> String {
    let mut out = String::new();
    for section in Section::ALL {
        let _ = writeln!(out, "== {} ({} UTC) ==", section.title(), crosstab.day);
        let rows = crosstab.sections.get(&section);
        let Some(rows) = rows.filter(|r| !r.is_empty()) else {
            let _ = writeln!(out, "(none)\n");
            continue;
        };
        let labels = header_labels(crosstab, section);
        let mut widths: Vec<usize> = labels.iter().map(String::len).collect();
        let mut hour_width = 2;
        for (row, hours) in rows {
            for (w, value) in widths.iter_mut().zip(row) {
                *w = (*w).max(value.chars().count());
            }
            for &c in hours {
                hour_width = hour_width.max(cell_text(c).len());
            }
        }
        let mut line = String::new();
        for (label, w) in labels.iter().zip(&widths) {
            let _ = write!(line, "{label:<w$}  ");
        }
        for h in 0..24 {
            let _ = write!(line, "{:>hour_width$} ", format!("{h:02}"));
        }
        line.push_str("total");
        let _ = writeln!(out, "{}", line.trim_end());
        for (row, hours) in rows {
            let mut line = String::new();
            for (value, w) in row.iter().zip(&widths) {
                let pad = w.saturating_sub(value.chars().count());
                let _ = write!(line, "{value}{}  ", " ".repeat(pad));
            }
            for &c in hours {
                let _ = write!(line, "{:>hour_width$} ", cell_text(c));
            }
            let _ = write!(line, "{}", hours.iter().sum::<u64>());
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", other_days_note(crosstab));
    out
}

/// What the report left out: events of other days, with the first and last of those days
/// (so a report of the wrong day points at the right one).
pub fn other_days_note(crosstab: &Crosstab) -> String {
    let days = &crosstab.other_days;
    match (days.keys().next(), days.keys().next_back()) {
        (Some(first), Some(last)) => format!(
            "{} events on {} other days ({first} to {last}) were not counted.",
            crosstab.outside_day(),
            days.len()
        ),
        _ => "No events on other days.".to_string(),
    }
}

/// The crosstab as CSV: `section,<by fields>,decision,h00..h23,total`, zero cells as `-`.
pub fn to_csv(crosstab: &Crosstab) -> String {
    let mut out = String::from("section");
    for field in &crosstab.by {
        let _ = write!(out, ",{}", field.name());
    }
    out.push_str(",decision");
    for h in 0..24 {
        let _ = write!(out, ",h{h:02}");
    }
    out.push_str(",total\n");
    for (section, rows) in &crosstab.sections {
        for (row, hours) in rows {
            out.push_str(section.key());
            let by = crosstab.by.len();
            for value in &row[..by] {
                let _ = write!(out, ",{}", csv_field(value));
            }
            let _ = write!(out, ",{}", row.get(by).map_or("", String::as_str));
            for &c in hours {
                let _ = write!(out, ",{}", cell_text(c));
            }
            let _ = writeln!(out, ",{}", hours.iter().sum::<u64>());
        }
    }
    out
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The crosstab as one self-contained HTML page (inline CSS, no scripts, no fetches): one
/// table per section, cells shaded by count relative to the section's busiest cell.
pub fn to_html(crosstab: &Crosstab) -> String {
    let day = escape_html(&crosstab.day);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>AuditFlow crosstab {day}</title><style>\
         body{{font-family:system-ui,sans-serif;margin:1.5em}}\
         table{{border-collapse:collapse;font-size:12px;margin-bottom:2em}}\
         th,td{{border:1px solid #ddd;padding:2px 5px;text-align:right}}\
         td.l,th.l{{text-align:left;white-space:nowrap}}th{{background:#f4f4f4}}\
         </style></head><body>\n<h1>AuditFlow crosstab, {day} (UTC)</h1>\n"
    );
    for section in Section::ALL {
        let _ = writeln!(out, "<h2>{}</h2>", escape_html(section.title()));
        let Some(rows) = crosstab.sections.get(&section).filter(|r| !r.is_empty()) else {
            out.push_str("<p>(none)</p>\n");
            continue;
        };
        let max = rows.values().flatten().copied().max().unwrap_or(1).max(1) as f64;
        out.push_str("<table><tr>");
        for label in header_labels(crosstab, section) {
            let _ = write!(out, "<th class=\"l\">{}</th>", escape_html(&label));
        }
        for h in 0..24 {
            let _ = write!(out, "<th>{h:02}</th>");
        }
        out.push_str("<th>total</th></tr>\n");
        for (row, hours) in rows {
            out.push_str("<tr>");
            for value in row {
                let _ = write!(out, "<td class=\"l\">{}</td>", escape_html(value));
            }
            for &c in hours {
                if c == 0 {
                    out.push_str("<td>-</td>");
                } else {
                    // Square-root shading keeps quiet cells visible beside a burst.
                    let alpha = 0.1 + 0.8 * (c as f64 / max).sqrt();
                    let _ = write!(
                        out,
                        "<td style=\"background:rgba(200,40,40,{alpha:.2})\">{c}</td>"
                    );
                }
            }
            let _ = writeln!(out, "<td>{}</td></tr>", hours.iter().sum::<u64>());
        }
        out.push_str("</table>\n");
    }
    let _ = writeln!(
        out,
        "<p>{}</p>\n</body></html>",
        escape_html(&other_days_note(crosstab))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::crosstab::{Cell, RowField};

    fn sample() -> Crosstab {
        let mut c = Crosstab::new("2026-01-02", vec![RowField::Principal, RowField::Action]);
        let row = vec!["<eve>".to_string(), "SignIn".to_string()];
        c.add(
            &Cell {
                section: Section::SignInFailures,
                row: row.clone(),
                hour: Some(13),
            },
            12,
        );
        c.add(
            &Cell {
                section: Section::AllEvents,
                row,
                hour: Some(13),
            },
            12,
        );
        c
    }

    #[test]
    fn text_marks_zero_hours_and_empty_sections() {
        let text = to_text(&sample());
        assert!(text.contains("== authorization decisions (2026-01-02 UTC) ==\n(none)"));
        let row = text.lines().find(|l| l.starts_with("<eve>")).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        // principal, action, 24 hours, total
        assert_eq!(cells.len(), 27);
        assert_eq!(cells[2 + 13], "12");
        assert_eq!(cells[2], "-");
        assert_eq!(cells[26], "12");
    }

    #[test]
    fn csv_has_one_column_per_hour() {
        let csv = to_csv(&sample());
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(header.len(), 1 + 2 + 1 + 24 + 1);
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(row[0], "signin_failure");
        assert_eq!(row[4 + 13], "12");
    }

    #[test]
    fn html_escapes_and_shades() {
        let html = to_html(&sample());
        assert!(html.contains("&lt;eve&gt;") && !html.contains("<eve>"));
        assert!(html.contains("background:rgba(200,40,40,0.90)"));
        assert!(html.starts_with("<!DOCTYPE html>"));
    }
}
