//! Go's `time.Time` as templates see it: layouts (`2006-01-02T15:04:05Z07:00`,
//! `Jan _2`, `.000`, `MST`, ...) for formatting and parsing, `String()`,
//! `ParseDuration`, and the few locations kindling knows.
//!
//! Time zones: the server's "Local" zone is UTC. `LoadLocation` knows `UTC`,
//! `Local`, `""`, the UTC/GMT aliases and `Etc/GMT±N`; any other name is
//! unknown, which Loki turns into UTC (as when a host has no tz database).

use std::fmt::Write as _;

/// Seconds from 0001-01-01 to 1970-01-01, Go's zero time as a Unix time.
const ZERO_UNIX: i64 = -62_135_596_800;

/// A fixed zone: offset east of UTC and its abbreviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Zone {
    offset: i32,
    name: [u8; 10],
    name_len: u8,
}

impl Zone {
    /// UTC.
    pub(crate) const UTC: Zone = Zone {
        offset: 0,
        name: *b"UTC\0\0\0\0\0\0\0",
        name_len: 3,
    };

    /// A fixed zone named `name` (at most 10 bytes kept).
    pub(crate) fn fixed(name: &str, offset: i32) -> Zone {
        let mut z = Zone {
            offset,
            name: [0; 10],
            name_len: 0,
        };
        let n = name.len().min(10);
        z.name[..n].copy_from_slice(&name.as_bytes()[..n]);
        z.name_len = n as u8;
        z
    }

    /// The abbreviation ("" for an unnamed fixed offset).
    pub(crate) fn name(&self) -> &str {
        std::str::from_utf8(&self.name[..usize::from(self.name_len)]).unwrap_or("")
    }
}

/// A `time.Location`; all the ones kindling knows have a single zone.
pub(crate) type Location = Zone;

/// `time.LoadLocation`: None for names kindling does not know.
pub(crate) fn load_location(name: &str) -> Option<Location> {
    match name {
        "" | "UTC" | "Local" => return Some(Zone::UTC),
        "Etc/UTC" | "Etc/UCT" | "Etc/Universal" | "Etc/Zulu" | "UCT" | "Universal" | "Zulu" => {
            return Some(Zone::UTC)
        }
        "GMT" | "Etc/GMT" | "Etc/GMT0" | "Etc/GMT+0" | "Etc/GMT-0" | "GMT0" | "GMT+0" | "GMT-0"
        | "Greenwich" | "Etc/Greenwich" => return Some(Zone::fixed("GMT", 0)),
        _ => {}
    }
    // Etc/GMT+5 is five hours *behind* UTC (POSIX sign convention).
    let rest = name.strip_prefix("Etc/GMT")?;
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (-1, &rest[1..]),
        b'-' => (1, &rest[1..]),
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits.parse().ok()?;
    if h == 0 || (sign < 0 && h > 12) || (sign > 0 && h > 14) || digits.starts_with('0') {
        return None;
    }
    let abbr = format!("{}{:02}", if sign > 0 { '+' } else { '-' }, h);
    Some(Zone::fixed(&abbr, sign * h * 3600))
}

/// A Go `time.Time` without a monotonic reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GoTime {
    /// Seconds since the Unix epoch.
    pub(crate) sec: i64,
    /// Nanoseconds within the second, 0..1e9.
    pub(crate) nsec: u32,
    /// The zone used to display it.
    pub(crate) zone: Zone,
}

/// Calendar fields of a time in its zone.
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) yday: u32,
    /// 0 = Sunday.
    pub(crate) weekday: u32,
    pub(crate) hour: u32,
    pub(crate) min: u32,
    pub(crate) sec: u32,
}

/// English month names, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English day names, Sunday first.
pub(crate) const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (days since 1970-01-01).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl GoTime {
    /// `time.Unix(sec, nsec)` in the Local (UTC) zone, nsec normalised.
    pub(crate) fn unix(sec: i64, nsec: i64) -> GoTime {
        let sec = sec.wrapping_add(nsec.div_euclid(1_000_000_000));
        GoTime {
            sec,
            nsec: nsec.rem_euclid(1_000_000_000) as u32,
            zone: Zone::UTC,
        }
    }

    /// The zero `time.Time{}` (0001-01-01 00:00:00 UTC).
    pub(crate) fn zero() -> GoTime {
        GoTime {
            sec: ZERO_UNIX,
            nsec: 0,
            zone: Zone::UTC,
        }
    }

    /// `IsZero`.
    pub(crate) fn is_zero(&self) -> bool {
        self.sec == ZERO_UNIX && self.nsec == 0
    }

    /// `UnixMilli` (wrapping like Go on overflow).
    pub(crate) fn unix_milli(&self) -> i64 {
        self.sec
            .wrapping_mul(1000)
            .wrapping_add(i64::from(self.nsec / 1_000_000))
    }

    /// `UnixMicro`.
    pub(crate) fn unix_micro(&self) -> i64 {
        self.sec
            .wrapping_mul(1_000_000)
            .wrapping_add(i64::from(self.nsec / 1000))
    }

    /// `UnixNano`.
    pub(crate) fn unix_nano(&self) -> i64 {
        self.sec
            .wrapping_mul(1_000_000_000)
            .wrapping_add(i64::from(self.nsec))
    }

    /// `t.In(zone)`.
    pub(crate) fn in_zone(self, zone: Zone) -> GoTime {
        GoTime { zone, ..self }
    }

    /// Calendar fields in the time's own zone.
    pub(crate) fn civil(&self) -> Civil {
        let local = self.sec.saturating_add(i64::from(self.zone.offset));
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            yday: (days - days_from_civil(year, 1, 1) + 1) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
            hour: secs / 3600,
            min: secs % 3600 / 60,
            sec: secs % 60,
        }
    }

    /// `t.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub(crate) fn write_string(&self, out: &mut String) {
        self.format(out, "2006-01-02 15:04:05.999999999 -0700 MST");
    }

    /// `t.Format(layout)`, appended to `out`.
    pub(crate) fn format(&self, out: &mut String, layout: &str) {
        let c = self.civil();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, std, suffix) = next_std_chunk(rest);
            out.push_str(prefix);
            let Some(std) = std else { break };
            rest = suffix;
            match std {
                Std::Year => push_int(out, (c.year % 100).abs(), 2),
                Std::LongYear => push_int(out, c.year, 4),
                Std::Month => out.push_str(&MONTHS[c.month as usize - 1][..3]),
                Std::LongMonth => out.push_str(MONTHS[c.month as usize - 1]),
                Std::NumMonth => push_int(out, i64::from(c.month), 0),
                Std::ZeroMonth => push_int(out, i64::from(c.month), 2),
                Std::WeekDay => out.push_str(&WEEKDAYS[c.weekday as usize][..3]),
                Std::LongWeekDay => out.push_str(WEEKDAYS[c.weekday as usize]),
                Std::Day => push_int(out, i64::from(c.day), 0),
                Std::UnderDay => {
                    if c.day < 10 {
                        out.push(' ');
                    }
                    push_int(out, i64::from(c.day), 0);
                }
                Std::ZeroDay => push_int(out, i64::from(c.day), 2),
                Std::UnderYearDay => {
                    if c.yday < 100 {
                        out.push(' ');
                        if c.yday < 10 {
                            out.push(' ');
                        }
                    }
                    push_int(out, i64::from(c.yday), 0);
                }
                Std::ZeroYearDay => push_int(out, i64::from(c.yday), 3),
                Std::Hour => push_int(out, i64::from(c.hour), 2),
                Std::Hour12 | Std::ZeroHour12 => {
                    let h = match c.hour % 12 {
                        0 => 12,
                        h => h,
                    };
                    push_int(out, i64::from(h), if std == Std::Hour12 { 0 } else { 2 });
                }
                Std::Minute => push_int(out, i64::from(c.min), 0),
                Std::ZeroMinute => push_int(out, i64::from(c.min), 2),
                Std::Second => push_int(out, i64::from(c.sec), 0),
                Std::ZeroSecond => push_int(out, i64::from(c.sec), 2),
                Std::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
                Std::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
                Std::Tz(kind) => format_offset(out, kind, self.zone.offset),
                Std::TzName => {
                    if self.zone.name_len > 0 {
                        out.push_str(self.zone.name());
                    } else {
                        let zone = self.zone.offset / 60;
                        out.push(if zone < 0 { '-' } else { '+' });
                        push_int(out, i64::from(zone.abs() / 60), 2);
                        push_int(out, i64::from(zone.abs() % 60), 2);
                    }
                }
                Std::Frac { digits, trim, sep } => push_nanos(out, self.nsec, digits, trim, sep),
            }
        }
    }
}

/// The numeric zone layouts: which parts they print and whether UTC is `Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TzKind {
    iso: bool,
    colon: bool,
    minutes: bool,
    seconds: bool,
}

/// One layout element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TzName,
    Tz(TzKind),
    Frac { digits: usize, trim: bool, sep: u8 },
}

const fn tz(iso: bool, colon: bool, minutes: bool, seconds: bool) -> Std {
    Std::Tz(TzKind {
        iso,
        colon,
        minutes,
        seconds,
    })
}

/// Splits a layout at its first element: (literal prefix, element, rest).
fn next_std_chunk(layout: &str) -> (&str, Option<Std>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| b.get(i..i + s.len()) == Some(s.as_bytes());
    let lower_after = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    for i in 0..b.len() {
        let found: Option<(Std, usize)> = match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    Some((Std::LongMonth, 7))
                } else if !lower_after(i + 3) {
                    Some((Std::Month, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "Mon") => {
                if at(i, "Monday") {
                    Some((Std::LongWeekDay, 6))
                } else if !lower_after(i + 3) {
                    Some((Std::WeekDay, 3))
                } else {
                    None
                }
            }
            b'M' if at(i, "MST") => Some((Std::TzName, 3)),
            b'0' if b.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) => {
                let std = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ][usize::from(b[i + 1] - b'1')];
                Some((std, 2))
            }
            b'0' if at(i, "002") => Some((Std::ZeroYearDay, 3)),
            b'1' if at(i, "15") => Some((Std::Hour, 2)),
            b'1' => Some((Std::NumMonth, 1)),
            b'2' if at(i, "2006") => Some((Std::LongYear, 4)),
            b'2' => Some((Std::Day, 1)),
            b'_' if at(i, "_2") => {
                if at(i + 1, "2006") {
                    // "_2006" is a literal underscore then the year.
                    return (&layout[..i + 1], Some(Std::LongYear), &layout[i + 5..]);
                }
                Some((Std::UnderDay, 2))
            }
            b'_' if at(i, "__2") => Some((Std::UnderYearDay, 3)),
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if at(i, "PM") => Some((Std::PM, 2)),
            b'p' if at(i, "pm") => Some((Std::Pm, 2)),
            b'-' if at(i, "-070000") => Some((tz(false, false, true, true), 7)),
            b'-' if at(i, "-07:00:00") => Some((tz(false, true, true, true), 9)),
            b'-' if at(i, "-0700") => Some((tz(false, false, true, false), 5)),
            b'-' if at(i, "-07:00") => Some((tz(false, true, true, false), 6)),
            b'-' if at(i, "-07") => Some((tz(false, false, false, false), 3)),
            b'Z' if at(i, "Z070000") => Some((tz(true, false, true, true), 7)),
            b'Z' if at(i, "Z07:00:00") => Some((tz(true, true, true, true), 9)),
            b'Z' if at(i, "Z0700") => Some((tz(true, false, true, false), 5)),
            b'Z' if at(i, "Z07:00") => Some((tz(true, true, true, false), 6)),
            b'Z' if at(i, "Z07") => Some((tz(true, false, false, false), 3)),
            c @ (b'.' | b',') if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                // Only a run of 0s or 9s not followed by a digit is a fraction.
                if b.get(j).is_some_and(u8::is_ascii_digit) {
                    None
                } else {
                    let std = Std::Frac {
                        digits: j - (i + 1),
                        trim: ch == b'9',
                        sep: c,
                    };
                    Some((std, j - i))
                }
            }
            _ => None,
        };
        if let Some((std, len)) = found {
            return (&layout[..i], Some(std), &layout[i + len..]);
        }
    }
    (layout, None, "")
}

/// Appends `x` zero-padded to `width` digits (sign not counted).
fn push_int(out: &mut String, x: i64, width: usize) {
    if x < 0 {
        out.push('-');
    }
    let u = x.unsigned_abs();
    let _ = write!(out, "{u:0width$}");
}

fn push_nanos(out: &mut String, nsec: u32, digits: usize, trim: bool, sep: u8) {
    if trim && (digits == 0 || nsec == 0) {
        return;
    }
    let start = out.len();
    out.push(sep as char);
    let _ = write!(out, "{nsec:09}");
    if digits < 9 {
        out.truncate(start + 1 + digits);
    }
    if trim {
        while out.len() > start && out.ends_with('0') {
            out.pop();
        }
        if out.len() == start + 1 {
            out.pop();
        }
    }
}

fn format_offset(out: &mut String, kind: TzKind, offset: i32) {
    if offset == 0 && kind.iso {
        out.push('Z');
        return;
    }
    let zone = offset / 60;
    out.push(if zone < 0 { '-' } else { '+' });
    push_int(out, i64::from(zone.abs() / 60), 2);
    if kind.colon {
        out.push(':');
    }
    if kind.minutes {
        push_int(out, i64::from(zone.abs() % 60), 2);
    }
    if kind.seconds {
        if kind.colon {
            out.push(':');
        }
        push_int(out, i64::from(offset.abs() % 60), 2);
    }
}

fn lookup_name<'v>(table: &[&str], short: bool, value: &'v str) -> Option<(u32, &'v str)> {
    for (i, name) in table.iter().enumerate() {
        let name = if short { &name[..3] } else { name };
        if value.len() >= name.len()
            && value.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some((i as u32, &value[name.len()..]));
        }
    }
    None
}

/// One or two digits (exactly two when `fixed`).
fn getnum(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let b = s.as_bytes();
    let d0 = *b.first().filter(|c| c.is_ascii_digit())?;
    match b.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..])),
        None if fixed => None,
        None => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// One to three digits (exactly three when `fixed`).
fn getnum3(s: &str, fixed: bool) -> Option<(u32, &str)> {
    let b = s.as_bytes();
    let mut n = 0;
    let mut i = 0;
    while i < 3 && b.get(i).is_some_and(u8::is_ascii_digit) {
        n = n * 10 + u32::from(b[i] - b'0');
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

/// Removes `prefix` from `value`, a run of spaces matching any run of spaces.
fn skip<'v>(mut value: &'v str, mut prefix: &str) -> Option<&'v str> {
    while !prefix.is_empty() {
        if prefix.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return None;
            }
            prefix = prefix.trim_start_matches(' ');
            value = value.trim_start_matches(' ');
            continue;
        }
        let c = prefix.chars().next()?;
        value = value.strip_prefix(c)?;
        prefix = &prefix[c.len_utf8()..];
    }
    Some(value)
}

/// Length of a zone abbreviation at the start of `value`, Go's heuristic.
fn parse_time_zone(value: &str) -> Option<usize> {
    let b = value.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if value.starts_with("ChST") || value.starts_with("MeST") {
        return Some(4);
    }
    if let Some(rest) = value.strip_prefix("GMT") {
        return Some(3 + parse_signed_offset(rest));
    }
    if b[0] == b'+' || b[0] == b'-' {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = b
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    match upper {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || value.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// `+03` / `-4`: a sign and an hour in 1..=23; the length consumed or 0.
fn parse_signed_offset(value: &str) -> usize {
    let b = value.as_bytes();
    if !matches!(b.first(), Some(b'+' | b'-')) {
        return 0;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    let x: u64 = value[1..1 + digits].parse().unwrap_or(u64::MAX);
    if x > 23 {
        return 0;
    }
    1 + digits
}

/// Parses `.ddd` (any separator) into nanoseconds; `nbytes` includes the separator.
fn parse_nanoseconds(value: &str, nbytes: usize) -> Option<u32> {
    if !matches!(value.as_bytes().first(), Some(b'.' | b',')) {
        return None;
    }
    let nbytes = nbytes.min(10);
    let digits = value.get(1..nbytes)?;
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut ns: u32 = digits.parse().ok()?;
    for _ in 0..10 - nbytes {
        ns *= 10;
    }
    Some(ns)
}

/// `time.ParseInLocation(layout, value, loc)`. Errors are not needed by the
/// template functions (they turn a failure into the zero time), so a failure
/// is just `None`.
pub(crate) fn parse_in_location(layout: &str, value: &str, loc: Location) -> Option<GoTime> {
    let mut layout = layout;
    let mut value = value;
    let mut year: i64 = 0;
    let mut month: i64 = -1;
    let mut day: i64 = -1;
    let mut yday: i64 = -1;
    let mut hour: u32 = 0;
    let mut min: u32 = 0;
    let mut sec: u32 = 0;
    let mut nsec: u32 = 0;
    let mut am = false;
    let mut pm = false;
    let mut utc = false;
    let mut zone_offset: Option<i32> = None;
    let mut zone_name: &str = "";
    loop {
        let (prefix, std, suffix) = next_std_chunk(layout);
        value = skip(value, prefix)?;
        let Some(std) = std else {
            if !value.is_empty() {
                return None;
            }
            break;
        };
        layout = suffix;
        match std {
            Std::Year => {
                let p = value.get(..2)?;
                value = &value[2..];
                let y: i64 = p
                    .parse()
                    .ok()
                    .filter(|_| p.bytes().all(|c| c.is_ascii_digit()))?;
                year = if y >= 69 { y + 1900 } else { y + 2000 };
            }
            Std::LongYear => {
                let p = value.get(..4)?;
                if !p.as_bytes()[0].is_ascii_digit() {
                    return None;
                }
                value = &value[4..];
                year = go_atoi(p)?;
            }
            Std::Month | Std::LongMonth => {
                let (m, rest) = lookup_name(&MONTHS, std == Std::Month, value)?;
                month = i64::from(m) + 1;
                value = rest;
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (m, rest) = getnum(value, std == Std::ZeroMonth)?;
                if m == 0 || m > 12 {
                    return None;
                }
                month = i64::from(m);
                value = rest;
            }
            Std::WeekDay | Std::LongWeekDay => {
                let (_, rest) = lookup_name(&WEEKDAYS, std == Std::WeekDay, value)?;
                value = rest;
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                let (d, rest) = getnum(value, std == Std::ZeroDay)?;
                day = i64::from(d);
                value = rest;
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                let (d, rest) = getnum3(value, std == Std::ZeroYearDay)?;
                yday = i64::from(d);
                value = rest;
            }
            Std::Hour => {
                let (h, rest) = getnum(value, false)?;
                if h >= 24 {
                    return None;
                }
                hour = h;
                value = rest;
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (h, rest) = getnum(value, std == Std::ZeroHour12)?;
                if h > 12 {
                    return None;
                }
                hour = h;
                value = rest;
            }
            Std::Minute | Std::ZeroMinute => {
                let (m, rest) = getnum(value, std == Std::ZeroMinute)?;
                if m >= 60 {
                    return None;
                }
                min = m;
                value = rest;
            }
            Std::Second | Std::ZeroSecond => {
                let (s, rest) = getnum(value, std == Std::ZeroSecond)?;
                if s >= 60 {
                    return None;
                }
                sec = s;
                value = rest;
                // A fraction in the value without one in the layout is accepted.
                let b = value.as_bytes();
                if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
                    let (_, next, _) = next_std_chunk(layout);
                    if !matches!(next, Some(Std::Frac { .. })) {
                        let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                        nsec = parse_nanoseconds(value, n)?;
                        value = &value[n..];
                    }
                }
            }
            Std::PM | Std::Pm => {
                let p = value.get(..2)?;
                value = &value[2..];
                let (a, b) = if std == Std::PM {
                    ("AM", "PM")
                } else {
                    ("am", "pm")
                };
                if p == b {
                    pm = true;
                } else if p == a {
                    am = true;
                } else {
                    return None;
                }
            }
            Std::Tz(kind) => {
                if kind.iso && value.starts_with('Z') {
                    value = &value[1..];
                    utc = true;
                    continue;
                }
                let sign = *value.as_bytes().first()?;
                let part = |r: std::ops::Range<usize>| value.get(r);
                let colon_at = |i: usize| value.as_bytes().get(i) == Some(&b':');
                let (hh, mm, ss, used) = match (kind.colon, kind.minutes, kind.seconds) {
                    (true, true, false) => {
                        if !colon_at(3) {
                            return None;
                        }
                        (part(1..3)?, part(4..6)?, "00", 6)
                    }
                    (_, false, _) => (part(1..3)?, "00", "00", 3),
                    (true, true, true) => {
                        if !colon_at(3) || !colon_at(6) {
                            return None;
                        }
                        (part(1..3)?, part(4..6)?, part(7..9)?, 9)
                    }
                    (false, true, true) => (part(1..3)?, part(3..5)?, part(5..7)?, 7),
                    (false, true, false) => (part(1..3)?, part(3..5)?, "00", 5),
                };
                let (h, _) = getnum(hh, true)?;
                let (m, _) = getnum(mm, true)?;
                let (s, _) = getnum(ss, true)?;
                if h > 24 || m > 60 || s > 60 {
                    return None;
                }
                let off = ((h * 60 + m) * 60 + s) as i32;
                zone_offset = Some(match sign {
                    b'+' => off,
                    b'-' => -off,
                    _ => return None,
                });
                value = value.get(used..)?;
            }
            Std::TzName => {
                if value.starts_with("UTC") {
                    utc = true;
                    value = &value[3..];
                    continue;
                }
                let n = parse_time_zone(value)?;
                zone_name = value.get(..n)?;
                value = &value[n..];
            }
            Std::Frac { digits, trim, .. } => {
                if !trim {
                    let n = 1 + digits;
                    if value.len() < n {
                        return None;
                    }
                    nsec = parse_nanoseconds(value, n)?;
                    value = value.get(n..)?;
                } else {
                    let b = value.as_bytes();
                    if b.len() < 2 || !matches!(b[0], b'.' | b',') || !b[1].is_ascii_digit() {
                        continue;
                    }
                    let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    nsec = parse_nanoseconds(value, n)?;
                    value = &value[n..];
                }
            }
        }
    }
    if pm && hour < 12 {
        hour += 12;
    } else if am && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let mut d: i64 = 0;
        let mut m: i64 = 0;
        let mut yd = yday;
        if is_leap(year) {
            if yd == 31 + 29 {
                m = 2;
                d = 29;
            } else if yd > 31 + 29 {
                yd -= 1;
            }
        }
        if !(1..=365).contains(&yd) {
            return None;
        }
        if m == 0 {
            m = (yd - 1) / 31 + 1;
            if days_before(m + 1) < yd {
                m += 1;
            }
            d = yd - days_before(m);
        }
        if month >= 0 && month != m {
            return None;
        }
        month = m;
        if day >= 0 && day != d {
            return None;
        }
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    let (month, day) = (month as u32, day as u32);
    if day < 1 || day > days_in(month, year) {
        return None;
    }
    let wall = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec);
    if utc {
        return Some(GoTime {
            sec: wall,
            nsec,
            zone: Zone::UTC,
        });
    }
    if let Some(off) = zone_offset {
        let t = wall - i64::from(off);
        let zone = if loc.offset == off && (zone_name.is_empty() || loc.name() == zone_name) {
            loc
        } else {
            Zone::fixed(zone_name, off)
        };
        return Some(GoTime { sec: t, nsec, zone });
    }
    if !zone_name.is_empty() {
        if loc.name() == zone_name {
            return Some(GoTime {
                sec: wall - i64::from(loc.offset),
                nsec,
                zone: loc,
            });
        }
        // Unknown abbreviation: the wall clock is taken as UTC and labelled.
        let mut offset = 0;
        if zone_name.len() > 3 && zone_name.starts_with("GMT") {
            offset = go_atoi(&zone_name[3..]).unwrap_or(0) as i32 * 3600;
        }
        return Some(GoTime {
            sec: wall,
            nsec,
            zone: Zone::fixed(zone_name, offset),
        });
    }
    Some(GoTime {
        sec: wall - i64::from(loc.offset),
        nsec,
        zone: loc,
    })
}

/// Days before the first of `month` in a non-leap year (month 13 = 365).
fn days_before(month: i64) -> i64 {
    const CUM: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
    CUM[(month - 1).clamp(0, 12) as usize]
}

/// Go's internal `atoi`: optional sign then digits only.
fn go_atoi(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `time.ParseDuration`, in nanoseconds; the error is Go's text.
pub(crate) fn parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", time_quote(orig));
    let mut s = orig;
    let mut neg = false;
    if let Some(c) = s.as_bytes().first() {
        if *c == b'-' || *c == b'+' {
            neg = *c == b'-';
            s = &s[1..];
        }
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &b[..int_len] {
            if v > (1 << 63) / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        s = &s[int_len..];
        let pre = int_len > 0;
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.starts_with('.') {
            s = &s[1..];
            let frac_len = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for c in s[..frac_len].bytes() {
                if overflow {
                    continue;
                }
                if f > ((1u64 << 63) - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > 1 << 63 {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &s[frac_len..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|&c| c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                time_quote(orig)
            ));
        }
        let u = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match u {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    time_quote(u),
                    time_quote(orig)
                ))
            }
        };
        if v > (1 << 63) / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return Err(invalid());
            }
        }
        d += v;
        if d > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > (1 << 63) - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// `Duration.Seconds()`.
pub(crate) fn duration_seconds(ns: i64) -> f64 {
    let sec = ns / 1_000_000_000;
    let nsec = ns % 1_000_000_000;
    sec as f64 + nsec as f64 / 1e9
}

/// The `time` package's own quoting: non-ASCII and control bytes as `\xNN`.
pub(crate) fn time_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s.as_bytes() {
        if !(b' '..0x80).contains(&b) {
            let _ = write!(out, "\\x{b:02x}");
        } else {
            if b == b'"' || b == b'\\' {
                out.push('\\');
            }
            out.push(b as char);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sec: i64, nsec: i64) -> GoTime {
        GoTime::unix(sec, nsec)
    }

    fn fmt(t: GoTime, layout: &str) -> String {
        let mut s = String::new();
        t.format(&mut s, layout);
        s
    }

    #[test]
    fn civil_round_trips() {
        for days in [-719_162, -1, 0, 1, 59, 11_016, 20_465, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-719_162), (1, 1, 1));
    }

    #[test]
    fn string_matches_go() {
        let cases = [
            (
                t(1_768_190_338, 366_824_588),
                "2026-01-12 03:58:58.366824588 +0000 UTC",
            ),
            (t(1_768_190_338, 0), "2026-01-12 03:58:58 +0000 UTC"),
            (t(0, 500_000_000), "1970-01-01 00:00:00.5 +0000 UTC"),
            (GoTime::zero(), "0001-01-01 00:00:00 +0000 UTC"),
            (
                t(3600, 0).in_zone(Zone::fixed("", 7200)),
                "1970-01-01 03:00:00 +0200 +0200",
            ),
            (
                t(0, 0).in_zone(Zone::fixed("PST", -8 * 3600)),
                "1969-12-31 16:00:00 -0800 PST",
            ),
        ];
        for (tm, want) in cases {
            let mut s = String::new();
            tm.write_string(&mut s);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn layouts_format_like_go() {
        // 2026-01-05 (a Monday) 15:04:05.123456789 UTC.
        let tm = t(
            days_from_civil(2026, 1, 5) * 86_400 + 15 * 3600 + 4 * 60 + 5,
            123_456_789,
        );
        let cases = [
            ("2006-01-02T15:04:05Z07:00", "2026-01-05T15:04:05Z"),
            (
                "2006-01-02T15:04:05.999999999Z07:00",
                "2026-01-05T15:04:05.123456789Z",
            ),
            ("15:04", "15:04"),
            ("Jan _2", "Jan  5"),
            ("January 2, 2006", "January 5, 2026"),
            ("Mon Monday", "Mon Monday"),
            ("3:04PM", "3:04PM"),
            ("03:04pm", "03:04pm"),
            (".000", ".123"),
            (",000000", ",123456"),
            (".999", ".123"),
            ("05.99", "05.12"),
            ("MST -0700 -07:00 -07 Z0700", "UTC +0000 +00:00 +00 Z"),
            ("002 __2", "005   5"),
            ("06 1 2", "26 1 5"),
            ("_2006", "_2026"),
            ("Month", "Month"),
        ];
        for (layout, want) in cases {
            assert_eq!(fmt(tm, layout), want, "{layout}");
        }
        let tz = t(0, 0).in_zone(Zone::fixed("", 5 * 3600 + 30 * 60 + 15));
        assert_eq!(fmt(tz, "Z07:00:00 -070000 MST"), "+05:30:15 +053015 +0530");
        assert_eq!(fmt(t(0, 120_000_000), "05.999"), "00.12");
        assert_eq!(fmt(t(0, 0), "05.999"), "00");
    }

    #[test]
    fn parse_matches_go() {
        let utc = Zone::UTC;
        let p = |layout: &str, value: &str| parse_in_location(layout, value, utc);
        let got = p("2006-01-02T15:04:05.999999999Z", "2026-01-12T03:53:02.927Z");
        assert_eq!(got, Some(t(1_768_189_982, 927_000_000)));
        // Offset matching the location keeps the location.
        let got = p("2006-01-02T15:04:05Z07:00", "2026-01-12T03:53:02+00:00");
        assert_eq!(got.map(|g| g.zone), Some(Zone::UTC));
        // Another offset fabricates an unnamed fixed zone.
        let got = p("2006-01-02T15:04:05Z07:00", "2026-01-12T05:53:02+02:00");
        assert_eq!(
            got.map(|g| (g.sec, g.zone)),
            Some((1_768_189_982, Zone::fixed("", 7200)))
        );
        // Fraction in the value though not in the layout.
        let got = p("15:04:05", "01:02:03.5");
        assert_eq!(got.map(|g| g.nsec), Some(500_000_000));
        // Unknown abbreviation: wall clock taken as UTC, labelled.
        let got = p("15:04 MST", "10:00 PST");
        assert_eq!(
            got.map(|g| (g.zone.name().to_string(), g.civil().hour)),
            Some(("PST".into(), 10))
        );
        assert_eq!(
            p("Jan _2 2006", "Feb  3 2024").map(|g| g.civil().day),
            Some(3)
        );
        assert_eq!(
            p("2006-002", "2024-060").map(|g| (g.civil().month, g.civil().day)),
            Some((2, 29))
        );
        assert_eq!(p("3:04PM", "12:30AM").map(|g| g.civil().hour), Some(0));
        for (layout, value) in [
            ("2006-01-02", "2024-02-30"),
            ("2006-01-02", "2024-13-01"),
            ("15:04", "24:00"),
            ("2006-01-02", "2024-01-02x"),
            ("2006-01-02", "24-01-02"),
            (".000", ".12"),
        ] {
            assert_eq!(p(layout, value), None, "{layout} {value}");
        }
    }

    #[test]
    fn parse_duration_matches_go() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(
            parse_duration("-2h45m"),
            Ok(-(2 * 3600 + 45 * 60) * 1_000_000_000)
        );
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("300µs"), Ok(300_000));
        assert_eq!(
            parse_duration(""),
            Err(r#"time: invalid duration """#.to_string())
        );
        assert_eq!(
            parse_duration("1"),
            Err(r#"time: missing unit in duration "1""#.to_string())
        );
        assert_eq!(
            parse_duration("1d"),
            Err(r#"time: unknown unit "d" in duration "1d""#.to_string())
        );
        assert_eq!(duration_seconds(1_500_000_000), 1.5);
    }

    #[test]
    fn locations() {
        assert_eq!(load_location("UTC"), Some(Zone::UTC));
        assert_eq!(
            load_location("Etc/GMT+5"),
            Some(Zone::fixed("-05", -5 * 3600))
        );
        assert_eq!(
            load_location("Etc/GMT-14"),
            Some(Zone::fixed("+14", 14 * 3600))
        );
        assert_eq!(load_location("Europe/Paris"), None);
        assert_eq!(load_location("Etc/GMT+13"), None);
    }
}
