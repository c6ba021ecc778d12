//! Calendar dates from Unix milliseconds, in UTC, without a date library: the engine stamps run
//! records, adapters stamp fetches and turn "this year" into a date range.

/// `(year, month, day)` of an instant in UTC, proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
pub fn ymd(ms: i64) -> (i64, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-25`.
pub fn date(ms: i64) -> String {
    let (y, m, d) = ymd(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `2026-11-25T17:12:00.000Z`.
pub fn rfc3339(ms: i64) -> String {
    let sod = ms.div_euclid(1000).rem_euclid(86_400);
    let millis = ms.rem_euclid(1000);
    format!("{}T{:02}:{:02}:{:02}.{millis:03}Z", date(ms), sod / 3600, sod % 3600 / 60, sod % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_around_epochs_leap_days_and_before_1970() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_626_720_123), "2026-11-25T17:12:00.123Z");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(-86_400_000), "1969-12-31");
        assert_eq!(ymd(4_107_542_400_000), (2100, 3, 1));
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }
}
