//! The functions a Loki template may call: Go's builtins, Loki's own map
//! (`pkg/logql/log/fmt.go`) and the sprig functions Loki exposes, each with
//! its Go signature so argument checks and errors match Go's executor.

mod builtin;
mod cast;
mod decimal;
mod json;
mod math;
mod text;
mod time;

use regex::Regex;

use super::value::Value;
use super::TemplateContext;

/// A Go parameter type, as far as the executor's checks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `float64`.
    Float,
    /// `time.Time`.
    Time,
    /// `interface{}` or `reflect.Value`: anything, nil included.
    Any,
}

impl Param {
    /// Go's name of the type.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Param::Str => "string",
            Param::Int => "int",
            Param::Float => "float64",
            Param::Time => "time.Time",
            Param::Any => "interface {}",
        }
    }
}

/// What the environment offers a function: the entry and compiled regexes.
pub(crate) struct Env<'a> {
    /// The entry being rendered.
    pub(crate) ctx: &'a dyn TemplateContext,
    /// Regexes compiled when the template was parsed (literal patterns).
    pub(crate) regexes: &'a RegexCache,
}

/// A plain function: receives its checked arguments, returns a value or the
/// Go error text (wrapped by the caller as `error calling NAME: ...`).
pub(crate) type FnImpl = for<'a> fn(&Env<'a>, &mut [Value<'a>]) -> Result<Value<'a>, String>;

/// How a function is executed.
#[derive(Clone, Copy)]
pub(crate) enum Imp {
    /// `and`: short-circuit, returns the first false argument or the last.
    And,
    /// `or`: short-circuit, returns the first true argument or the last.
    Or,
    /// `call`: needs the callee's name.
    Call,
    /// Everything else.
    Plain(FnImpl),
}

/// A function's name, signature and implementation.
pub(crate) struct FuncDef {
    /// Name used in templates.
    pub(crate) name: &'static str,
    /// Fixed parameters.
    pub(crate) params: &'static [Param],
    /// Type of the `...` parameter, if variadic.
    pub(crate) variadic: Option<Param>,
    /// Implementation.
    pub(crate) imp: Imp,
}

impl std::fmt::Debug for FuncDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

use Param::{Any, Float, Int, Str, Time};

macro_rules! f {
    ($name:literal, [$($p:expr),*], $imp:expr) => {
        FuncDef { name: $name, params: &[$($p),*], variadic: None, imp: Imp::Plain($imp) }
    };
}

/// A variadic function: fixed parameters, then the type of `...`.
macro_rules! fv {
    ($name:literal, [$($p:expr),*], $v:expr, $imp:expr) => {
        FuncDef { name: $name, params: &[$($p),*], variadic: Some($v), imp: Imp::Plain($imp) }
    };
}

/// Every function, sorted by name.
static FUNCS: &[FuncDef] = &[
    f!("Replace", [Str, Str, Str, Int], text::go_replace),
    f!("ToLower", [Str], text::lower),
    f!("ToUpper", [Str], text::upper),
    f!("Trim", [Str, Str], text::go_trim),
    f!("TrimLeft", [Str, Str], text::go_trim_left),
    f!("TrimPrefix", [Str, Str], text::go_trim_prefix),
    f!("TrimRight", [Str, Str], text::go_trim_right),
    f!("TrimSpace", [Str], text::trim_space),
    f!("TrimSuffix", [Str, Str], text::go_trim_suffix),
    f!("__line__", [], time::line),
    f!("__timestamp__", [], time::timestamp),
    fv!("add", [], Any, math::add),
    fv!("addf", [], Any, math::addf),
    f!("alignLeft", [Int, Str], text::align_left),
    f!("alignRight", [Int, Str], text::align_right),
    FuncDef {
        name: "and",
        params: &[Any],
        variadic: Some(Any),
        imp: Imp::And,
    },
    f!("b64dec", [Str], text::b64dec),
    f!("b64enc", [Str], text::b64enc),
    f!("bytes", [Str], time::bytes),
    FuncDef {
        name: "call",
        params: &[Any],
        variadic: Some(Any),
        imp: Imp::Call,
    },
    f!("ceil", [Any], math::ceil),
    f!("contains", [Str, Str], text::contains),
    f!("count", [Str, Str], text::count),
    f!("date", [Str, Any], time::date),
    fv!("default", [Any], Any, builtin::default),
    f!("div", [Any, Any], math::div),
    fv!("divf", [Any], Any, math::divf),
    f!("duration", [Str], time::duration),
    f!("duration_seconds", [Str], time::duration),
    fv!("eq", [Any], Any, builtin::eq),
    f!("float64", [Any], math::float64),
    f!("floor", [Any], math::floor),
    f!("fromJson", [Str], json::from_json),
    f!("ge", [Any, Any], builtin::ge),
    f!("gt", [Any, Any], builtin::gt),
    f!("hasPrefix", [Str, Str], text::has_prefix),
    f!("hasSuffix", [Str, Str], text::has_suffix),
    fv!("html", [], Any, builtin::html),
    f!("indent", [Int, Str], text::indent),
    fv!("index", [Any], Any, builtin::index),
    f!("int", [Any], math::int),
    fv!("js", [], Any, builtin::js),
    f!("le", [Any, Any], builtin::le),
    f!("len", [Any], builtin::len),
    f!("lower", [Str], text::lower),
    f!("lt", [Any, Any], builtin::lt),
    fv!("max", [Any], Any, math::max),
    fv!("maxf", [Any], Any, math::maxf),
    fv!("min", [Any], Any, math::min),
    fv!("minf", [Any], Any, math::minf),
    f!("mod", [Any, Any], math::modulo),
    fv!("mul", [Any], Any, math::mul),
    fv!("mulf", [Any], Any, math::mulf),
    f!("ne", [Any, Any], builtin::ne),
    f!("nindent", [Int, Str], text::nindent),
    f!("not", [Any], builtin::not),
    f!("now", [], time::now),
    FuncDef {
        name: "or",
        params: &[Any],
        variadic: Some(Any),
        imp: Imp::Or,
    },
    fv!("print", [], Any, builtin::print),
    fv!("printf", [Str], Any, builtin::printf),
    fv!("println", [], Any, builtin::println),
    f!("regexReplaceAll", [Str, Str, Str], text::regex_replace_all),
    f!(
        "regexReplaceAllLiteral",
        [Str, Str, Str],
        text::regex_replace_all_literal
    ),
    f!("repeat", [Int, Str], text::repeat),
    f!("replace", [Str, Str, Str], text::replace),
    fv!("round", [Any, Int], Float, math::round),
    fv!("slice", [Any], Any, builtin::slice),
    f!("sub", [Any, Any], math::sub),
    fv!("subf", [Any], Any, math::subf),
    f!("substr", [Int, Int, Str], text::substr),
    f!("title", [Str], text::title),
    f!("toDate", [Str, Str], time::to_date),
    f!("toDateInZone", [Str, Str, Str], time::to_date_in_zone),
    f!("trim", [Str], text::trim_space),
    f!("trimAll", [Str, Str], text::trim_all),
    f!("trimPrefix", [Str, Str], text::trim_prefix),
    f!("trimSuffix", [Str, Str], text::trim_suffix),
    f!("trunc", [Int, Str], text::trunc),
    f!("unixEpoch", [Time], time::unix_epoch),
    f!("unixEpochMillis", [Time], time::unix_epoch_millis),
    f!("unixEpochNanos", [Time], time::unix_epoch_nanos),
    f!("unixToTime", [Str], time::unix_to_time),
    f!("upper", [Str], text::upper),
    f!("urldecode", [Str], text::urldecode),
    f!("urlencode", [Str], text::urlencode),
    fv!("urlquery", [], Any, builtin::urlquery),
];

/// The function called `name`, if templates may use it.
pub(crate) fn lookup(name: &str) -> Option<&'static FuncDef> {
    FUNCS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &FUNCS[i])
}

/// Methods of `time.Time` reachable as `.Method` on a time value.
static TIME_METHODS: &[FuncDef] = &[
    f!("Day", [], time::m_day),
    f!("Format", [Str], time::m_format),
    f!("Hour", [], time::m_hour),
    f!("IsZero", [], time::m_is_zero),
    f!("Local", [], time::m_utc),
    f!("Minute", [], time::m_minute),
    f!("Month", [], time::m_month),
    f!("Nanosecond", [], time::m_nanosecond),
    f!("Second", [], time::m_second),
    f!("String", [], time::m_string),
    f!("UTC", [], time::m_utc),
    f!("Unix", [], time::m_unix),
    f!("UnixMicro", [], time::m_unix_micro),
    f!("UnixMilli", [], time::m_unix_milli),
    f!("UnixNano", [], time::m_unix_nano),
    f!("Weekday", [], time::m_weekday),
    f!("Year", [], time::m_year),
    f!("YearDay", [], time::m_year_day),
];

/// The `time.Time` method called `name`. Its implementation receives the
/// receiver as an extra first argument.
pub(crate) fn time_method(name: &str) -> Option<&'static FuncDef> {
    TIME_METHODS
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &TIME_METHODS[i])
}

/// Regexes compiled at parse time, keyed by pattern.
#[derive(Debug, Default)]
pub(crate) struct RegexCache {
    entries: Vec<(String, Result<Regex, String>)>,
}

impl RegexCache {
    /// Compiles `pattern` once (a literal regex argument).
    pub(crate) fn add(&mut self, pattern: &str) {
        if self.entries.iter().any(|(p, _)| p == pattern) {
            return;
        }
        let compiled = text::compile_go_regex(pattern);
        self.entries.push((pattern.to_string(), compiled));
    }

    /// The compiled regex for `pattern`, compiling it now when it was not
    /// a literal.
    pub(crate) fn get(&self, pattern: &str) -> std::borrow::Cow<'_, Result<Regex, String>> {
        match self.entries.iter().find(|(p, _)| p == pattern) {
            Some((_, r)) => std::borrow::Cow::Borrowed(r),
            None => std::borrow::Cow::Owned(text::compile_go_regex(pattern)),
        }
    }
}

/// Whether `name` takes a regex as its first argument.
pub(crate) fn takes_regex(name: &str) -> bool {
    matches!(name, "regexReplaceAll" | "regexReplaceAllLiteral" | "count")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_lookup() {
        for w in FUNCS.windows(2) {
            assert!(w[0].name < w[1].name, "{} >= {}", w[0].name, w[1].name);
        }
        for w in TIME_METHODS.windows(2) {
            assert!(w[0].name < w[1].name);
        }
        assert!(lookup("toJson").is_none());
        assert!(lookup("sha256sum").is_none());
        assert!(lookup("dateInZone").is_none());
        assert_eq!(lookup("printf").map(|f| f.name), Some("printf"));
    }
}
