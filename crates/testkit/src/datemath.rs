//! Date math in snapshot names (`<snap-{now/d}>`), the common subset.
//!
//! Supported: `{now}` with `+N`/`-N` offsets in `y M w d h H m s`, rounding `/unit`, and an
//! optional `{format}` made of `yyyy`/`uuuu`/`yy`/`MM`/`dd`/`HH`/`mm`/`ss` (default
//! `yyyy.MM.dd`, time zone always UTC). `\{` escapes a brace.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// Resolves `expr` if it is a date-math expression (`<…>`), else returns it unchanged.
pub(crate) fn resolve(expr: &str, now_millis: i64) -> Result<String, String> {
    let Some(inner) = expr.strip_prefix('<').and_then(|s| s.strip_suffix('>')) else {
        return Ok(expr.to_string());
    };
    let now = Timestamp::from_millisecond(now_millis)
        .map_err(|e| e.to_string())?
        .to_zoned_datetime(TimeZone::UTC)
        .datetime();
    let chars: Vec<char> = inner.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '{' => {
                // Find the matching close brace (one nested level for the format).
                let mut depth = 0;
                let mut j = i;
                while j < chars.len() {
                    match chars[j] {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err("missing closing `}`".to_string());
                }
                let body: String = chars[i + 1..j].iter().collect();
                out.push_str(&eval(&body, now)?);
                i = j + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// One `{…}`: `now`, its offsets and roundings, then the format.
fn eval(body: &str, now: DateTime) -> Result<String, String> {
    let (math, format) = match body.find('{') {
        Some(k) => {
            let fmt = body[k + 1..].strip_suffix('}').ok_or("bad format")?;
            let fmt = fmt.split('|').next().unwrap_or("");
            (&body[..k], if fmt.is_empty() { "yyyy.MM.dd" } else { fmt })
        }
        None => (body, "yyyy.MM.dd"),
    };
    let rest = math
        .strip_prefix("now")
        .ok_or_else(|| format!("expected `now` in [{math}]"))?;
    let mut dt = now;
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let op = chars[i];
        i += 1;
        match op {
            '+' | '-' => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if start == i {
                    1
                } else {
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .map_err(|_| "bad number")?
                };
                let n = if op == '-' { -n } else { n };
                let unit = *chars.get(i).ok_or("missing unit")?;
                i += 1;
                dt = dt.checked_add(span(unit, n)?).map_err(|e| e.to_string())?;
            }
            '/' => {
                let unit = *chars.get(i).ok_or("missing unit")?;
                i += 1;
                dt = round_down(dt, unit)?;
            }
            other => return Err(format!("unexpected [{other}]")),
        }
    }
    let strf = format
        .replace("yyyy", "%Y")
        .replace("uuuu", "%Y")
        .replace("yy", "%y")
        .replace("MM", "%m")
        .replace("dd", "%d")
        .replace("HH", "%H")
        .replace("mm", "%M")
        .replace("ss", "%S");
    Ok(dt.strftime(&strf).to_string())
}

/// `+n<unit>` / `-n<unit>`.
fn span(unit: char, n: i64) -> Result<Span, String> {
    Ok(match unit {
        'y' => Span::new().years(n),
        'M' => Span::new().months(n),
        'w' => Span::new().weeks(n),
        'd' => Span::new().days(n),
        'h' | 'H' => Span::new().hours(n),
        'm' => Span::new().minutes(n),
        's' => Span::new().seconds(n),
        other => return Err(format!("unknown unit [{other}]")),
    })
}

/// `/<unit>`: the start of the year, month, week (Monday), day, hour, minute or second.
fn round_down(dt: DateTime, unit: char) -> Result<DateTime, String> {
    let cut = |b: jiff::civil::DateTimeWith| b.build().map_err(|e| e.to_string());
    Ok(match unit {
        'y' => dt.first_of_year().start_of_day(),
        'M' => dt.first_of_month().start_of_day(),
        'w' => {
            let back = i64::from(dt.weekday().to_monday_zero_offset());
            dt.checked_sub(Span::new().days(back))
                .map_err(|e| e.to_string())?
                .start_of_day()
        }
        'd' => dt.start_of_day(),
        'h' | 'H' => cut(dt.with().minute(0).second(0).subsec_nanosecond(0))?,
        'm' => cut(dt.with().second(0).subsec_nanosecond(0))?,
        's' => cut(dt.with().subsec_nanosecond(0))?,
        other => return Err(format!("unknown rounding [{other}]")),
    })
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn resolves_common_expressions() {
        let now = 1_731_585_600_123; // 2024-11-14T12:00:00.123Z
        assert_eq!(resolve("plain", now).unwrap(), "plain");
        assert_eq!(resolve("<snap-{now/d}>", now).unwrap(), "snap-2024.11.14");
        assert_eq!(
            resolve("<snap-{now-1d/d}>", now).unwrap(),
            "snap-2024.11.13"
        );
        assert_eq!(
            resolve("<snap-{now/M{yyyy.MM}}>", now).unwrap(),
            "snap-2024.11"
        );
    }
}
