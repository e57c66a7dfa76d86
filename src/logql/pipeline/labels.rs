//! The per-entry label builder and the label sets a pipeline hands out.
//!
//! An entry carries three categories of labels (logql.md §3.4): the stream
//! labels, its structured metadata and the labels stages add ("parsed").
//! Lookups prefer parsed > structured metadata > stream. The builder keeps the
//! stream labels untouched and records per entry only what changed, in one
//! string arena and a small hash index that both survive from entry to entry,
//! so a steady-state entry allocates nothing until a new label set has to be
//! handed out.
//!
//! `__error__` and `__error_details__` live outside the label lists, as in
//! Loki: only string label filters, templates, `drop` and the final label set
//! see them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use crate::logql::ast::Grouping;
use crate::logql::template::TemplateContext;
use crate::model::{Label, Labels};

/// Name of the error label.
pub const ERROR_LABEL: &str = "__error__";
/// Name of the error details label.
pub const ERROR_DETAILS_LABEL: &str = "__error_details__";
/// Suffix of an extracted label whose name is taken by a stream or metadata label.
pub const EXTRACTED_SUFFIX: &str = "_extracted";

/// Where a label of an entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// A stream label.
    Stream,
    /// Structured metadata of the entry.
    StructuredMetadata,
    /// Added by a pipeline stage (parsers, `label_format`, error labels).
    Parsed,
}

/// A final label set of an entry, shared by every entry that ends with the
/// same labels.
///
/// Kept compact (one string with every name and value) until a caller asks
/// for [`Labels`]: building a label set per entry costs one allocation, and
/// label sets that are only compared or hashed never allocate more.
#[derive(Debug)]
pub struct LabelsResult {
    /// Names and values, back to back.
    text: String,
    /// Per label, in name order: name start, value start, value end, category.
    items: Box<[(u32, u32, u32, Category)]>,
    hash: u64,
    all: OnceLock<Labels>,
    stream: OnceLock<Labels>,
    structured_metadata: OnceLock<Labels>,
    parsed: OnceLock<Labels>,
}

impl LabelsResult {
    /// Builds a result from labels sorted by name (names unique).
    pub(crate) fn new<'a>(
        labels: impl Iterator<Item = (Category, &'a str, &'a str)> + Clone,
    ) -> LabelsResult {
        let hash = hash_labels(labels.clone());
        LabelsResult::with_hash(labels, hash)
    }

    /// Like [`Self::new`] when the caller already hashed the labels.
    fn with_hash<'a>(
        labels: impl Iterator<Item = (Category, &'a str, &'a str)> + Clone,
        hash: u64,
    ) -> LabelsResult {
        let (mut len, mut n) = (0, 0);
        for (_, name, value) in labels.clone() {
            len += name.len() + value.len();
            n += 1;
        }
        let mut text = String::with_capacity(len);
        let mut items = Vec::with_capacity(n);
        for (c, name, value) in labels {
            let a = text.len() as u32;
            text.push_str(name);
            let b = text.len() as u32;
            text.push_str(value);
            items.push((a, b, text.len() as u32, c));
        }
        LabelsResult {
            text,
            items: items.into(),
            hash,
            all: OnceLock::new(),
            stream: OnceLock::new(),
            structured_metadata: OnceLock::new(),
            parsed: OnceLock::new(),
        }
    }

    /// A result made only of stream labels.
    pub fn from_stream(labels: &Labels) -> LabelsResult {
        LabelsResult::new(
            labels
                .iter()
                .map(|l| (Category::Stream, l.name.as_str(), l.value.as_str())),
        )
    }

    /// The labels with their categories, in name order, without building
    /// [`Labels`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Category, &str, &str)> {
        self.items.iter().map(|&(a, b, e, c)| {
            let name = self.text.get(a as usize..b as usize).unwrap_or("");
            let value = self.text.get(b as usize..e as usize).unwrap_or("");
            (c, name, value)
        })
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The value of a label.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self
            .items
            .binary_search_by(|&(a, b, _, _)| {
                self.text
                    .get(a as usize..b as usize)
                    .unwrap_or("")
                    .cmp(name)
            })
            .ok()?;
        self.iter().nth(i).map(|(_, _, v)| v)
    }

    fn build(&self, only: Option<Category>) -> Labels {
        let v = self
            .iter()
            .filter(|(c, _, _)| only.is_none_or(|o| o == *c))
            .map(|(_, n, v)| Label::new(n, v))
            .collect();
        Labels::from_sorted(v)
    }

    /// The stream labels (without those `drop` / `keep` removed).
    pub fn stream(&self) -> &Labels {
        self.stream
            .get_or_init(|| self.build(Some(Category::Stream)))
    }

    /// The structured metadata labels.
    pub fn structured_metadata(&self) -> &Labels {
        self.structured_metadata
            .get_or_init(|| self.build(Some(Category::StructuredMetadata)))
    }

    /// Labels added by stages, including `__error__` and `__error_details__`.
    pub fn parsed(&self) -> &Labels {
        self.parsed
            .get_or_init(|| self.build(Some(Category::Parsed)))
    }

    /// Every label merged, as Loki shows them without `categorize-labels`.
    pub fn all(&self) -> &Labels {
        self.all.get_or_init(|| self.build(None))
    }

    /// A hash of the categorized label set (equal sets hash equal).
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The `__error__` value, if the entry carries one.
    pub fn error(&self) -> Option<&str> {
        self.get(ERROR_LABEL)
    }

    fn same_as<'a>(
        &self,
        other: impl ExactSizeIterator<Item = (Category, &'a str, &'a str)>,
    ) -> bool {
        self.items.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl PartialEq for LabelsResult {
    fn eq(&self, o: &Self) -> bool {
        self.hash == o.hash && self.same_as(o.iter())
    }
}

impl Eq for LabelsResult {}

// ---------------------------------------------------------------------------
// hashing

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fast non-cryptographic hash of a byte string (FxHash rounds plus a final
/// avalanche so low bits are usable by power-of-two tables).
pub(crate) fn fx_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(FX_SEED);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(FX_SEED);
    }
    avalanche(h)
}

fn avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

fn hash_labels<'a>(labels: impl Iterator<Item = (Category, &'a str, &'a str)>) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for (c, n, v) in labels {
        h = (h.rotate_left(7) ^ (c as u64)).wrapping_mul(FX_SEED);
        h = (h.rotate_left(7) ^ fx_hash(n.as_bytes())).wrapping_mul(FX_SEED);
        h = (h.rotate_left(7) ^ fx_hash(v.as_bytes())).wrapping_mul(FX_SEED);
    }
    avalanche(h)
}

/// A hasher for keys that already are good 64-bit hashes.
#[derive(Default)]
pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// `BuildHasher` for maps keyed by precomputed hashes.
pub(crate) type PassThrough = BuildHasherDefault<PassThroughHasher>;

// ---------------------------------------------------------------------------
// label name sanitising

/// Appends `key` sanitised as a label name: surrounding white space trimmed,
/// every rune outside `[A-Za-z0-9_]` replaced by one `_`, and `_` put in front
/// of a leading digit when `out` is still empty (Loki's rule for the first
/// part of a name).
pub(crate) fn append_sanitized(out: &mut String, key: &str) {
    let b = key.as_bytes();
    let plain = b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let digit_first = b.first().is_some_and(u8::is_ascii_digit);
    if !b.is_empty() && plain && !(out.is_empty() && digit_first) {
        out.push_str(key);
        return;
    }
    let key = key.trim();
    if key.is_empty() {
        return;
    }
    if out.is_empty() && key.as_bytes()[0].is_ascii_digit() {
        out.push('_');
    }
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push('_');
        }
    }
}

/// Sanitises a whole label name (see [`append_sanitized`]) into `out` (cleared).
pub(crate) fn sanitize_into(out: &mut String, key: &str) {
    out.clear();
    append_sanitized(out, key);
}

// ---------------------------------------------------------------------------
// the builder

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    name: Span,
    value: Span,
    hash: u64,
    category: Category,
    alive: bool,
    /// Set once a stage added this name as a parsed label: later parsers skip it.
    extracted: bool,
}

/// Open-addressing index from label name to entry, reset per entry by bumping
/// a generation instead of clearing.
#[derive(Default)]
struct NameIndex {
    slots: Vec<(u32, u32)>, // (generation, entry index)
    generation: u32,
    len: usize,
}

impl NameIndex {
    fn reset(&mut self) {
        self.len = 0;
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            for s in &mut self.slots {
                *s = (0, 0);
            }
            self.generation = 1;
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }
}

/// Per-entry label state of one stream (see the module docs).
pub struct LabelsBuilder {
    stream: Arc<Labels>,
    arena: String,
    entries: Vec<Entry>,
    index: NameIndex,
    deleted: Vec<Span>,
    err: String,
    err_details: String,
    scratch: Vec<(Category, Src)>,
    /// Names (as hashes) of the last sorted merge and its sort order: lines
    /// of a stream usually yield the same names, so the order is reused.
    sort_sig: Vec<u64>,
    sort_perm: Vec<u32>,
    sig: Vec<u64>,
    unsorted: Vec<(Category, Src)>,
    /// Metadata labels set for this entry (collision checks are needed only then).
    metadata: usize,
    hints: Option<Arc<Hints>>,
    /// Required labels extracted so far in this entry.
    required_done: usize,
}

/// Where a label of the merged view lives.
#[derive(Clone, Copy)]
enum Src {
    Stream(usize),
    Arena(Span, Span),
    Err,
    ErrDetails,
}

impl LabelsBuilder {
    /// A builder for entries of the stream with these labels.
    pub fn new(stream: Arc<Labels>) -> LabelsBuilder {
        LabelsBuilder {
            stream,
            arena: String::with_capacity(1024),
            entries: Vec::with_capacity(32),
            index: NameIndex::default(),
            deleted: Vec::new(),
            err: String::new(),
            err_details: String::new(),
            scratch: Vec::new(),
            sort_sig: Vec::new(),
            sort_perm: Vec::new(),
            sig: Vec::new(),
            unsorted: Vec::new(),
            metadata: 0,
            hints: None,
            required_done: 0,
        }
    }

    /// Applies parser hints to every entry of this builder.
    pub(crate) fn set_hints(&mut self, hints: Option<Arc<Hints>>) {
        self.hints = hints;
    }

    /// The parser hints, if any.
    pub(crate) fn hints(&self) -> Option<&Hints> {
        self.hints.as_deref()
    }

    /// Loki's `NoLabels()`: parsers have nothing to do, either because no
    /// label is needed or because every required label was extracted.
    pub fn parsers_idle(&self) -> bool {
        self.hints.as_ref().is_some_and(|h| {
            h.no_labels || (!h.required.is_empty() && self.required_done >= h.required.len())
        })
    }

    /// Loki's `AllRequiredExtracted()`: a parser may stop early.
    pub fn all_required_extracted(&self) -> bool {
        self.hints
            .as_ref()
            .is_some_and(|h| !h.required.is_empty() && self.required_done >= h.required.len())
    }

    /// Whether the hints let a parser extract a name (given whether the
    /// name is required); true without hints.
    pub(crate) fn hint_allows(&self, required: bool) -> bool {
        self.hints
            .as_ref()
            .is_none_or(|h| h.required.is_empty() || required)
    }

    /// Whether nested members under this flattened prefix may be needed.
    pub(crate) fn should_extract_prefix(&self, prefix: &str) -> bool {
        self.hints.as_ref().is_none_or(|h| {
            h.required.is_empty() || h.required.iter().any(|r| r.starts_with(prefix))
        })
    }

    fn note_extracted(&mut self, name: &str) {
        if self.hints.as_ref().is_some_and(|h| h.requires(name)) {
            self.required_done += 1;
        }
    }

    /// Starts a new entry with its structured metadata. A metadata name taken
    /// by a stream label gets the `_extracted` suffix; `__error__` and
    /// `__error_details__` set the error fields.
    pub fn reset(&mut self, structured_metadata: &[(&str, &str)]) {
        trim_buffer(&mut self.arena);
        self.arena.clear();
        self.entries.clear();
        self.index.reset();
        self.deleted.clear();
        self.err.clear();
        self.err_details.clear();
        self.metadata = structured_metadata.len();
        self.required_done = 0;
        for (name, value) in structured_metadata {
            if self.stream_has(name) {
                let mut n = String::with_capacity(name.len() + EXTRACTED_SUFFIX.len());
                n.push_str(name);
                n.push_str(EXTRACTED_SUFFIX);
                self.add_metadata(&n, value);
            } else {
                self.add_metadata(name, value);
            }
        }
    }

    fn add_metadata(&mut self, name: &str, value: &str) {
        if name == ERROR_LABEL {
            self.set_error(value);
        } else if name == ERROR_DETAILS_LABEL {
            self.set_error_details(value);
        } else {
            self.set(Category::StructuredMetadata, name, value);
        }
    }

    fn text(&self, s: Span) -> &str {
        self.arena
            .get(s.start as usize..s.end as usize)
            .unwrap_or("")
    }

    fn push_text(&mut self, s: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(s);
        Span {
            start: start as u32,
            end: self.arena.len() as u32,
        }
    }

    fn find(&self, name: &str, hash: u64) -> Option<usize> {
        if self.index.slots.is_empty() {
            return None;
        }
        let mask = self.index.mask();
        let mut i = (hash as usize) & mask;
        loop {
            let (g, e) = self.index.slots[i];
            if g != self.index.generation {
                return None;
            }
            let entry = &self.entries[e as usize];
            if entry.hash == hash && self.text(entry.name) == name {
                return Some(e as usize);
            }
            i = (i + 1) & mask;
        }
    }

    fn insert_index(&mut self, hash: u64, entry: usize) {
        if (self.index.len + 1) * 2 > self.index.slots.len() {
            let cap = (self.index.slots.len() * 2).max(64);
            self.index.slots = vec![(0, 0); cap];
            self.index.generation = 1;
            self.index.len = 0;
            for e in 0..self.entries.len() {
                if e != entry {
                    let h = self.entries[e].hash;
                    self.place(h, e);
                }
            }
        }
        self.place(hash, entry);
    }

    fn place(&mut self, hash: u64, entry: usize) {
        let mask = self.index.mask();
        let mut i = (hash as usize) & mask;
        while self.index.slots[i].0 == self.index.generation {
            i = (i + 1) & mask;
        }
        self.index.slots[i] = (self.index.generation, entry as u32);
        self.index.len += 1;
    }

    fn live(&self, name: &str) -> Option<&Entry> {
        self.find(name, fx_hash(name.as_bytes()))
            .map(|i| &self.entries[i])
            .filter(|e| e.alive)
    }

    fn is_deleted(&self, name: &str) -> bool {
        self.deleted.iter().any(|s| self.text(*s) == name)
    }

    pub(crate) fn stream_has(&self, name: &str) -> bool {
        self.stream.get(name).is_some()
    }

    /// Whether an extracted label called `name` must be renamed with the
    /// `_extracted` suffix: a stream label or a metadata label has that name.
    pub fn base_has(&self, name: &str) -> bool {
        self.stream_has(name)
            || self
                .live(name)
                .is_some_and(|e| e.category == Category::StructuredMetadata)
    }

    /// Whether the entry has structured metadata (name collisions with it
    /// are possible).
    pub fn has_metadata(&self) -> bool {
        self.metadata > 0
    }

    /// Whether `name` (with its [`fx_hash`]) is a metadata label of the entry.
    pub(crate) fn is_metadata(&self, name: &str, hash: u64) -> bool {
        self.find(name, hash).is_some_and(|i| {
            self.entries[i].alive && self.entries[i].category == Category::StructuredMetadata
        })
    }

    /// A parser's extraction: sets the parsed label `name` (hash from
    /// [`fx_hash`]) with the value `write` appends, unless a parser already
    /// extracted that name for this entry (first extraction wins). Returns
    /// whether the label was set.
    pub(crate) fn extract_with(
        &mut self,
        name: &str,
        hash: u64,
        write: impl FnOnce(&mut String),
    ) -> bool {
        let found = self.find(name, hash);
        if found.is_some_and(|i| self.entries[i].extracted) {
            return false;
        }
        let start = self.arena.len();
        write(&mut self.arena);
        let value = Span {
            start: start as u32,
            end: self.arena.len() as u32,
        };
        match found {
            Some(i) => {
                let e = &mut self.entries[i];
                e.value = value;
                e.category = Category::Parsed;
                e.alive = true;
                e.extracted = true;
                self.note_extracted(name);
            }
            None => self.push_entry(Category::Parsed, name, hash, value),
        }
        true
    }

    /// Whether a parser may extract `name`: not extracted yet in this entry
    /// (first extraction wins) and allowed by the hints.
    pub fn should_extract(&self, name: &str) -> bool {
        !self
            .find(name, fx_hash(name.as_bytes()))
            .is_some_and(|i| self.entries[i].extracted)
            && self.hint_allows(self.hints.as_ref().is_some_and(|h| h.requires(name)))
    }

    /// The value of `name` with Loki's priority; stream labels with an empty
    /// value count as missing. Error labels are not visible here.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Some(e) = self.live(name) {
            return Some(self.text(e.value));
        }
        if self.is_deleted(name) {
            return None;
        }
        self.stream.get(name).filter(|v| !v.is_empty())
    }

    /// The value of `name` for templates: like [`Self::get`] plus the error labels.
    pub fn get_for_template(&self, name: &str) -> Option<&str> {
        if name == ERROR_LABEL && !self.err.is_empty() {
            return Some(&self.err);
        }
        if name == ERROR_DETAILS_LABEL && !self.err_details.is_empty() {
            return Some(&self.err_details);
        }
        if let Some(e) = self.live(name) {
            return Some(self.text(e.value));
        }
        if self.is_deleted(name) {
            return None;
        }
        self.stream.get(name)
    }

    /// The value and category of `name`, as [`Self::get`].
    pub fn get_with_category(&self, name: &str) -> Option<(&str, Category)> {
        if let Some(e) = self.live(name) {
            return Some((self.text(e.value), e.category));
        }
        if self.is_deleted(name) {
            return None;
        }
        self.stream
            .get(name)
            .filter(|v| !v.is_empty())
            .map(|v| (v, Category::Stream))
    }

    /// Sets a parsed label (overwriting, and hiding a metadata or stream label
    /// of the same name).
    pub fn set_parsed(&mut self, name: &str, value: &str) {
        self.set(Category::Parsed, name, value);
    }

    fn set(&mut self, category: Category, name: &str, value: &str) {
        let value = self.push_text(value);
        self.set_span(category, name, value);
    }

    fn set_span(&mut self, category: Category, name: &str, value: Span) {
        let hash = fx_hash(name.as_bytes());
        match self.find(name, hash) {
            Some(i) => {
                let e = &mut self.entries[i];
                if category == Category::StructuredMetadata
                    && e.alive
                    && e.category == Category::Parsed
                {
                    return;
                }
                let newly = category == Category::Parsed && !e.extracted;
                if category == Category::Parsed && (!e.alive || e.category != Category::Parsed) {
                    e.extracted = true;
                }
                e.value = value;
                e.category = category;
                e.alive = true;
                if newly && e.extracted {
                    self.note_extracted(name);
                }
            }
            None => self.push_entry(category, name, hash, value),
        }
    }

    fn push_entry(&mut self, category: Category, name: &str, hash: u64, value: Span) {
        let name_span = self.push_text(name);
        self.entries.push(Entry {
            name: name_span,
            value,
            hash,
            category,
            alive: true,
            extracted: category == Category::Parsed,
        });
        let idx = self.entries.len() - 1;
        self.insert_index(hash, idx);
        if category == Category::Parsed {
            self.note_extracted(name);
        }
    }

    /// Removes a label of any category.
    pub fn delete(&mut self, name: &str) {
        if let Some(i) = self.find(name, fx_hash(name.as_bytes())) {
            self.entries[i].alive = false;
        }
        if !self.is_deleted(name) {
            let s = self.push_text(name);
            self.deleted.push(s);
        }
    }

    /// Removes every label (stream, metadata and parsed) for which `keep`
    /// returns false; the error labels are never removed.
    pub fn retain(&mut self, keep: impl Fn(&str, &str) -> bool) {
        let stream = self.stream.clone();
        for l in stream.iter() {
            if self.is_deleted(&l.name) || self.live(&l.name).is_some() {
                continue;
            }
            if !keep(&l.name, &l.value) {
                let s = self.push_text(&l.name);
                self.deleted.push(s);
            }
        }
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            if !e.alive {
                continue;
            }
            let n = self.text(e.name);
            if n == ERROR_LABEL || n == ERROR_DETAILS_LABEL || keep(n, self.text(e.value)) {
                continue;
            }
            self.entries[i].alive = false;
            if !self
                .deleted
                .iter()
                .any(|d| self.text(*d) == self.text(e.name))
            {
                self.deleted.push(e.name);
            }
        }
    }

    /// The current `__error__` value ("" when none).
    pub fn error(&self) -> &str {
        &self.err
    }

    /// Whether `__error__` is set.
    pub fn has_error(&self) -> bool {
        !self.err.is_empty()
    }

    /// The current `__error_details__` value ("" when none).
    pub fn error_details(&self) -> &str {
        &self.err_details
    }

    /// Sets `__error__` (overwrites).
    pub fn set_error(&mut self, e: &str) {
        self.err.clear();
        self.err.push_str(e);
    }

    /// Sets `__error_details__` (overwrites).
    pub fn set_error_details(&mut self, d: &str) {
        self.err_details.clear();
        self.err_details.push_str(d);
    }

    /// Sets both error labels (parsers, templates, unwrap).
    pub fn set_error_with_details(&mut self, e: &str, details: &str) {
        self.set_error(e);
        self.set_error_details(details);
    }

    /// Clears `__error__`.
    pub fn clear_error(&mut self) {
        self.err.clear();
    }

    /// Clears `__error_details__`.
    pub fn clear_error_details(&mut self) {
        self.err_details.clear();
    }

    /// True when nothing but the stream labels describe the entry (Loki then
    /// hands out the stream's own result, even if only details are set).
    pub fn unchanged(&self) -> bool {
        self.entries.is_empty() && self.deleted.is_empty() && self.err.is_empty()
    }

    /// Fills `scratch` with the merged view, sorted by name.
    fn collect(&mut self) {
        let mut out = std::mem::take(&mut self.unsorted);
        let mut sig = std::mem::take(&mut self.sig);
        out.clear();
        sig.clear();
        for (i, l) in self.stream.iter().enumerate() {
            if self.is_deleted(&l.name) || self.live(&l.name).is_some() {
                continue;
            }
            out.push((Category::Stream, Src::Stream(i)));
            sig.push(i as u64 | 1 << 63);
        }
        for e in &self.entries {
            if !e.alive {
                continue;
            }
            let n = self.text(e.name);
            if (n == ERROR_LABEL && !self.err.is_empty())
                || (n == ERROR_DETAILS_LABEL && !self.err_details.is_empty())
            {
                continue;
            }
            out.push((e.category, Src::Arena(e.name, e.value)));
            sig.push(e.hash);
        }
        if !self.err.is_empty() {
            out.push((Category::Parsed, Src::Err));
            sig.push(1 << 62);
        }
        if !self.err_details.is_empty() {
            out.push((Category::Parsed, Src::ErrDetails));
            sig.push(1 << 62 | 1);
        }
        let mut sorted = std::mem::take(&mut self.scratch);
        sorted.clear();
        let mut reused = false;
        if sig == self.sort_sig {
            sorted.extend(
                self.sort_perm
                    .iter()
                    .filter_map(|&p| out.get(p as usize).copied()),
            );
            reused = sorted.len() == out.len()
                && sorted
                    .windows(2)
                    .all(|w| self.name_of(w[0].1) < self.name_of(w[1].1));
        }
        if !reused {
            let mut perm = std::mem::take(&mut self.sort_perm);
            perm.clear();
            perm.extend(0..out.len() as u32);
            perm.sort_unstable_by(|&a, &b| {
                self.name_of(out[a as usize].1)
                    .cmp(self.name_of(out[b as usize].1))
            });
            sorted.clear();
            sorted.extend(perm.iter().map(|&p| out[p as usize]));
            self.sort_perm = perm;
            std::mem::swap(&mut self.sort_sig, &mut sig);
        }
        self.scratch = sorted;
        self.unsorted = out;
        self.sig = sig;
    }

    fn name_of(&self, src: Src) -> &str {
        match src {
            Src::Stream(i) => self
                .stream
                .as_slice()
                .get(i)
                .map_or("", |l| l.name.as_str()),
            Src::Arena(n, _) => self.text(n),
            Src::Err => ERROR_LABEL,
            Src::ErrDetails => ERROR_DETAILS_LABEL,
        }
    }

    fn value_of(&self, src: Src) -> &str {
        match src {
            Src::Stream(i) => self
                .stream
                .as_slice()
                .get(i)
                .map_or("", |l| l.value.as_str()),
            Src::Arena(_, v) => self.text(v),
            Src::Err => &self.err,
            Src::ErrDetails => &self.err_details,
        }
    }

    fn merged(&self) -> impl ExactSizeIterator<Item = (Category, &str, &str)> + Clone + '_ {
        self.scratch
            .iter()
            .map(move |(c, src)| (*c, self.name_of(*src), self.value_of(*src)))
    }

    /// Calls `f` for every label of the merged view (error labels included)
    /// in name order.
    pub fn for_each_sorted(&self, f: &mut dyn FnMut(&str, &str)) {
        let mut v: Vec<(&str, &str)> =
            Vec::with_capacity(self.stream.len() + self.entries.len() + 2);
        for l in self.stream.iter() {
            if self.is_deleted(&l.name) || self.live(&l.name).is_some() {
                continue;
            }
            v.push((&l.name, &l.value));
        }
        for e in self.entries.iter().filter(|e| e.alive) {
            let n = self.text(e.name);
            if (n == ERROR_LABEL && !self.err.is_empty())
                || (n == ERROR_DETAILS_LABEL && !self.err_details.is_empty())
            {
                continue;
            }
            v.push((n, self.text(e.value)));
        }
        if !self.err.is_empty() {
            v.push((ERROR_LABEL, &self.err));
        }
        if !self.err_details.is_empty() {
            v.push((ERROR_DETAILS_LABEL, &self.err_details));
        }
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (n, val) in v {
            f(n, val);
        }
    }

    /// The full label set of the entry, shared through `cache`.
    pub(crate) fn result(&mut self, cache: &mut ResultCache) -> Arc<LabelsResult> {
        if self.unchanged() {
            return cache.base.clone();
        }
        self.collect();
        let hash = hash_labels(self.merged());
        cache.intern(hash, self.merged(), || {
            LabelsResult::with_hash(self.merged(), hash)
        })
    }

    /// The label set reduced to a grouping, as Loki's grouped results: an
    /// entry with `__error__` keeps every label; `by` keeps only the listed
    /// labels; `without` removes them.
    pub(crate) fn grouped_result(
        &mut self,
        grouping: &Grouping,
        cache: &mut ResultCache,
    ) -> Arc<LabelsResult> {
        if self.has_error() {
            return self.result(cache);
        }
        if is_singleton(grouping) {
            return cache.empty.clone();
        }
        let mut picked: Vec<(&str, &str)> = Vec::new();
        if grouping.without {
            for l in self.stream.iter() {
                if self.is_deleted(&l.name)
                    || self.live(&l.name).is_some()
                    || grouping.labels.contains(&l.name)
                {
                    continue;
                }
                picked.push((&l.name, &l.value));
            }
            for e in self.entries.iter().filter(|e| e.alive) {
                let n = self.text(e.name);
                if grouping.labels.iter().any(|g| g == n) {
                    continue;
                }
                picked.push((n, self.text(e.value)));
            }
        } else {
            for g in grouping.labels.iter() {
                // Loki checks deletions before additions here.
                if self.is_deleted(g) {
                    continue;
                }
                if let Some(e) = self.live(g) {
                    picked.push((g, self.text(e.value)));
                } else if let Some(v) = self.stream.get(g).filter(|v| !v.is_empty()) {
                    picked.push((g, v));
                }
            }
        }
        picked.sort_unstable_by(|a, b| a.0.cmp(b.0));
        picked.dedup_by(|a, b| a.0 == b.0);
        let items = || picked.iter().map(|(n, v)| (Category::Stream, *n, *v));
        let hash = hash_labels(items());
        cache.intern(hash, items(), || LabelsResult::with_hash(items(), hash))
    }
}

// ---------------------------------------------------------------------------
// per-stream cache of extracted label names

/// A key's label name for one stream: sanitised (and flattened), with the
/// `_extracted` suffix when a stream label has the name.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    /// The final name ("" when the key sanitises to nothing).
    pub(crate) name: String,
    /// Its [`fx_hash`].
    pub(crate) hash: u64,
    /// Whether the suffix was added for a stream label.
    pub(crate) stream_collision: bool,
    /// Whether the hints require this name.
    pub(crate) required: bool,
    /// Whether the hints require this name with the `_extracted` suffix
    /// (the name an entry's metadata label of the same name forces).
    pub(crate) required_extracted: bool,
}

impl Resolved {
    /// Resolves a sanitised name against the stream labels of `lbs`.
    pub(crate) fn new(mut name: String, lbs: &LabelsBuilder) -> Resolved {
        let stream_collision = !name.is_empty() && lbs.stream_has(&name);
        if stream_collision {
            name.push_str(EXTRACTED_SUFFIX);
        }
        let hash = fx_hash(name.as_bytes());
        let required = lbs.hints().is_some_and(|h| h.requires(&name));
        let required_extracted =
            !stream_collision && lbs.hints().is_some_and(|h| h.requires_suffixed(&name));
        Resolved {
            name,
            hash,
            stream_collision,
            required,
            required_extracted,
        }
    }

    /// Whether a parser can ever set this name: not empty, and allowed by
    /// the hints in one of its spellings (see [`extract_resolved`]).
    pub(crate) fn extractable(&self, lbs: &LabelsBuilder) -> bool {
        !self.name.is_empty()
            && (lbs.hint_allows(self.required) || lbs.hint_allows(self.required_extracted))
    }
}

#[derive(Clone, Copy, Debug)]
struct SeqItem {
    kind: u8,
    raw: (u32, u32),
    name: u32,
}

/// How many keys of a line the cache remembers.
const SEQ_LIMIT: usize = 1024;
/// How many resolved names (and keys, for flat keys) a cache holds before
/// it starts afresh.
const NAMES_LIMIT: usize = 1024;

/// Remembers the keys of the previous line of a stream, in order, with
/// their resolved names. Lines of one stream usually repeat the same keys in
/// the same order; while a line follows the previous one, a key costs one
/// comparison instead of sanitising, collision checks and hashing. For
/// flat keys (logfmt), whose name depends on the key alone, it also finds
/// the names of keys seen on earlier lines by the key, so streams mixing
/// several line shapes (Heroku's router and app lines) resolve each key
/// once.
#[derive(Default)]
pub(crate) struct KeyCache {
    seq: Vec<SeqItem>,
    raw: String,
    /// Every name resolved since the cache last started afresh.
    names: Vec<Resolved>,
    /// Name index (`u32::MAX`: no name) by raw key, for flat keys.
    by_key: Option<HashMap<String, u32, foldhash::fast::RandomState>>,
    pos: usize,
    in_sync: bool,
}

impl KeyCache {
    /// A cache for flat keys: a key's name depends on the key alone.
    pub(crate) fn for_flat_keys() -> KeyCache {
        KeyCache {
            by_key: Some(HashMap::default()),
            ..KeyCache::default()
        }
    }

    /// Starts a line.
    pub(crate) fn start(&mut self) {
        self.pos = 0;
        self.in_sync = true;
    }

    /// The next event of the line: `kind` is the caller's event type, `key`
    /// the raw key. Returns the index of the resolved name (see
    /// [`Self::name`]), computing it with `resolve` when neither the
    /// remembered sequence nor (for flat keys) an earlier line has it;
    /// `resolve` returning None records no name.
    pub(crate) fn next(
        &mut self,
        kind: u8,
        key: &str,
        resolve: impl FnOnce() -> Option<Resolved>,
    ) -> Option<usize> {
        let pos = self.pos;
        self.pos += 1;
        if self.in_sync {
            if let Some(it) = self.seq.get(pos) {
                if it.kind == kind
                    && self.raw.get(it.raw.0 as usize..it.raw.1 as usize) == Some(key)
                {
                    return (it.name != u32::MAX).then_some(it.name as usize);
                }
            }
            self.in_sync = false;
            self.seq.truncate(pos);
            self.raw
                .truncate(self.seq.last().map_or(0, |it| it.raw.1 as usize));
        }
        let known = self.by_key.as_ref().and_then(|m| m.get(key).copied());
        let name = match known {
            Some(n) => n,
            None => {
                let keys_known = self.by_key.as_ref().map_or(0, HashMap::len);
                if self.names.len().max(keys_known) >= NAMES_LIMIT {
                    self.restart();
                }
                let n = match resolve() {
                    Some(r) => {
                        self.names.push(r);
                        (self.names.len() - 1) as u32
                    }
                    None => u32::MAX,
                };
                if let Some(m) = self.by_key.as_mut() {
                    m.insert(key.to_string(), n);
                }
                n
            }
        };
        if self.seq.len() == pos && pos < SEQ_LIMIT {
            let a = self.raw.len() as u32;
            self.raw.push_str(key);
            self.seq.push(SeqItem {
                kind,
                raw: (a, self.raw.len() as u32),
                name,
            });
        }
        (name != u32::MAX).then_some(name as usize)
    }

    /// Forgets every name (the line in progress keeps going unremembered).
    fn restart(&mut self) {
        self.seq.clear();
        self.raw.clear();
        self.names.clear();
        if let Some(m) = self.by_key.as_mut() {
            m.clear();
        }
        // No remembered position matches the rest of this line.
        self.pos = SEQ_LIMIT;
    }

    /// A resolved name by index.
    pub(crate) fn name(&self, i: usize) -> Option<&Resolved> {
        self.names.get(i)
    }
}

/// Sets an extracted label under its resolved name: the suffix is added
/// when an entry's metadata has the name; first extraction wins; the hints
/// may refuse the name. Returns whether the label was set.
pub(crate) fn extract_resolved(
    r: &Resolved,
    lbs: &mut LabelsBuilder,
    write: impl FnOnce(&mut String),
) -> bool {
    if !r.extractable(lbs) {
        return false;
    }
    if !r.stream_collision && lbs.has_metadata() && lbs.is_metadata(&r.name, r.hash) {
        if lbs.hint_allows(r.required_extracted) {
            let mut n = String::with_capacity(r.name.len() + EXTRACTED_SUFFIX.len());
            n.push_str(&r.name);
            n.push_str(EXTRACTED_SUFFIX);
            let h = fx_hash(n.as_bytes());
            return lbs.extract_with(&n, h, write);
        }
        false
    } else if lbs.hint_allows(r.required) {
        lbs.extract_with(&r.name, r.hash, write)
    } else {
        false
    }
}

/// Which labels a metric query needs from the parsers: Loki's parser hints
/// (`NewParserHint`). Only extraction changes; the stages' logic does not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hints {
    /// Label names the query reads (filters, unwrap, grouping), with the
    /// `_extracted`-stripped variants. Empty: any name may be extracted.
    pub required: Vec<String>,
    /// No label is needed at all: parsers do nothing.
    pub no_labels: bool,
}

impl Hints {
    /// Whether `name` is one of the required labels.
    pub fn requires(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }

    /// Whether `name` followed by `_extracted` is one of the required labels.
    pub fn requires_suffixed(&self, name: &str) -> bool {
        self.required.iter().any(|r| {
            r.strip_suffix(EXTRACTED_SUFFIX)
                .is_some_and(|bare| bare == name)
        })
    }
}

/// Whether a `by ()` grouping: samples carry no labels.
pub(crate) fn is_singleton(g: &Grouping) -> bool {
    !g.without && g.labels.is_empty()
}

/// Interned results of one stream: entries with equal label sets share one
/// `Arc`. Bounded: the map is dropped when it grows past its limit.
pub(crate) struct ResultCache {
    base: Arc<LabelsResult>,
    empty: Arc<LabelsResult>,
    map: HashMap<u64, Arc<LabelsResult>, PassThrough>,
    /// Approximate size of the interned label sets.
    bytes: usize,
}

/// How many distinct label sets one stream keeps interned.
const RESULT_CACHE_LIMIT: usize = 512;
/// How many bytes of label text one stream keeps interned.
const RESULT_CACHE_BYTES: usize = 64 * 1024;

/// Buffers that grew past this size for one large entry are given back.
pub(crate) const KEEP_BUFFER_BYTES: usize = 64 * 1024;

/// Gives back the memory of a buffer that one large entry made big.
pub(crate) fn trim_buffer(s: &mut String) {
    if s.capacity() > KEEP_BUFFER_BYTES {
        *s = String::new();
    }
}

impl ResultCache {
    pub(crate) fn new(base: Arc<LabelsResult>) -> ResultCache {
        ResultCache {
            base,
            empty: Arc::new(LabelsResult::new(std::iter::empty())),
            map: HashMap::default(),
            bytes: 0,
        }
    }

    /// The result of an unchanged entry.
    pub(crate) fn base(&self) -> &Arc<LabelsResult> {
        &self.base
    }

    /// The empty label set.
    pub(crate) fn empty(&self) -> &Arc<LabelsResult> {
        &self.empty
    }

    fn intern<'a>(
        &mut self,
        hash: u64,
        items: impl ExactSizeIterator<Item = (Category, &'a str, &'a str)>,
        build: impl FnOnce() -> LabelsResult,
    ) -> Arc<LabelsResult> {
        if let Some(r) = self.map.get(&hash) {
            if r.same_as(items) {
                return r.clone();
            }
            return Arc::new(build());
        }
        if self.map.len() >= RESULT_CACHE_LIMIT || self.bytes >= RESULT_CACHE_BYTES {
            self.map.clear();
            self.bytes = 0;
        }
        let r = Arc::new(build());
        self.bytes += r.text.len() + r.items.len() * 16 + 64;
        self.map.insert(hash, r.clone());
        r
    }
}

/// What a template sees while rendering one entry.
pub(crate) struct TemplateView<'a> {
    pub(crate) labels: &'a LabelsBuilder,
    pub(crate) line: &'a str,
    pub(crate) ts: i64,
    pub(crate) now: i64,
}

impl TemplateContext for TemplateView<'_> {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels.get_for_template(name)
    }
    fn for_each_label(&self, f: &mut dyn FnMut(&str, &str)) {
        self.labels.for_each_sorted(f)
    }
    fn line(&self) -> &str {
        self.line
    }
    fn timestamp(&self) -> i64 {
        self.ts
    }
    fn now(&self) -> i64 {
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(stream: &[(&str, &str)]) -> LabelsBuilder {
        LabelsBuilder::new(Arc::new(Labels::from_pairs(stream.iter().copied())))
    }

    fn all(r: &LabelsResult) -> String {
        r.all().to_string()
    }

    /// Runs `lines` (keys per line) through `cache`; returns how often a
    /// key had to be resolved, checking every name handed out.
    fn resolve_all(cache: &mut KeyCache, lines: &[Vec<String>]) -> usize {
        let lbs = builder(&[("app", "a")]);
        let mut calls = 0;
        for keys in lines {
            cache.start();
            for k in keys {
                let i = cache.next(0, k, || {
                    calls += 1;
                    Some(Resolved::new(k.clone(), &lbs))
                });
                let name = i.and_then(|i| cache.name(i)).map(|r| r.name.clone());
                let want = if k == "app" {
                    "app_extracted"
                } else {
                    k.as_str()
                };
                assert_eq!(name.as_deref(), Some(want));
            }
        }
        calls
    }

    #[test]
    fn key_cache_resolves_flat_keys_once_across_line_shapes() {
        let shape = |ks: &[&str]| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        let lines: Vec<Vec<String>> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    shape(&["at", "method", "app", "status"])
                } else {
                    shape(&["level", "app", "msg"])
                }
            })
            .collect();
        assert_eq!(resolve_all(&mut KeyCache::for_flat_keys(), &lines), 6);
        // By sequence only, every change of shape resolves the rest again.
        assert!(resolve_all(&mut KeyCache::default(), &lines) > 40);
        // More distinct keys than the cache holds: it starts afresh and
        // still hands out the right names.
        let many: Vec<Vec<String>> = (0..3)
            .map(|_| (0..NAMES_LIMIT + 10).map(|k| format!("k{k}")).collect())
            .collect();
        let mut cache = KeyCache::for_flat_keys();
        assert!(resolve_all(&mut cache, &many) > NAMES_LIMIT);
        assert!(cache.names.len() <= NAMES_LIMIT);
        let known = |c: &KeyCache| c.by_key.as_ref().map_or(usize::MAX, HashMap::len);
        assert!(known(&cache) <= NAMES_LIMIT);
        // Keys without a name are bounded too.
        let mut cache = KeyCache::for_flat_keys();
        cache.start();
        for k in 0..3 * NAMES_LIMIT {
            assert_eq!(cache.next(0, &format!("k{k}"), || None), None);
        }
        assert!(known(&cache) <= NAMES_LIMIT);
    }

    #[test]
    fn sanitizes_names_like_loki() {
        let cases = [
            ("user-agent", "user_agent"),
            ("1st", "_1st"),
            ("sp ace", "sp_ace"),
            ("héllo", "h_llo"),
            ("  padded ", "padded"),
            ("a:b", "a_b"),
            ("", ""),
            ("   ", ""),
        ];
        for (input, want) in cases {
            let mut out = String::new();
            sanitize_into(&mut out, input);
            assert_eq!(out, want, "{input:?}");
        }
        let mut prefix = String::from("a");
        prefix.push('_');
        append_sanitized(&mut prefix, "1b");
        assert_eq!(prefix, "a_1b");
    }

    #[test]
    fn priority_parsed_over_metadata_over_stream() {
        let mut b = builder(&[("app", "web"), ("level", "info")]);
        b.reset(&[("trace", "t1"), ("level", "debug")]);
        // metadata named like a stream label is renamed
        assert_eq!(b.get("level_extracted"), Some("debug"));
        assert_eq!(b.get("level"), Some("info"));
        assert_eq!(b.get("trace"), Some("t1"));
        b.set_parsed("trace", "t2");
        assert_eq!(b.get_with_category("trace"), Some(("t2", Category::Parsed)));
        b.set_parsed("app", "api");
        assert_eq!(b.get("app"), Some("api"));
        let mut cache = ResultCache::new(Arc::new(LabelsResult::from_stream(&b.stream)));
        let r = b.result(&mut cache);
        assert_eq!(
            all(&r),
            r#"{app="api", level="info", level_extracted="debug", trace="t2"}"#
        );
        assert_eq!(r.parsed().to_string(), r#"{app="api", trace="t2"}"#);
        assert_eq!(r.stream().to_string(), r#"{level="info"}"#);
        assert_eq!(
            r.structured_metadata().to_string(),
            r#"{level_extracted="debug"}"#
        );
    }

    #[test]
    fn base_has_sees_stream_and_metadata() {
        let mut b = builder(&[("job", "x")]);
        b.reset(&[("trace_id", "abc")]);
        assert!(b.base_has("job"));
        assert!(b.base_has("trace_id"));
        assert!(!b.base_has("other"));
    }

    #[test]
    fn first_extraction_wins_is_tracked() {
        let mut b = builder(&[]);
        b.reset(&[]);
        assert!(b.should_extract("a"));
        b.set_parsed("a", "1");
        assert!(!b.should_extract("a"));
        b.delete("a");
        assert!(!b.should_extract("a"), "deleting does not reopen the name");
        b.reset(&[]);
        assert!(b.should_extract("a"), "state is per entry");
    }

    #[test]
    fn delete_and_errors_shape_the_result() {
        let mut b = builder(&[("app", "web"), ("env", "prod")]);
        let mut cache = ResultCache::new(Arc::new(LabelsResult::from_stream(&b.stream)));
        b.reset(&[]);
        assert!(b.unchanged());
        assert!(Arc::ptr_eq(&b.result(&mut cache), cache.base()));
        b.delete("env");
        b.set_error_with_details("JSONParserErr", "boom");
        let r = b.result(&mut cache);
        assert_eq!(
            all(&r),
            r#"{__error__="JSONParserErr", __error_details__="boom", app="web"}"#
        );
        assert_eq!(r.error(), Some("JSONParserErr"));
        assert_eq!(b.get("env"), None);
        // a deleted name can be set again as a parsed label
        b.set_parsed("env", "dev");
        assert_eq!(b.get("env"), Some("dev"));
    }

    #[test]
    fn equal_label_sets_share_one_result() {
        let mut b = builder(&[("app", "web")]);
        let mut cache = ResultCache::new(Arc::new(LabelsResult::from_stream(&b.stream)));
        b.reset(&[]);
        b.set_parsed("status", "200");
        let r1 = b.result(&mut cache);
        b.reset(&[]);
        b.set_parsed("status", "200");
        let r2 = b.result(&mut cache);
        b.reset(&[]);
        b.set_parsed("status", "500");
        let r3 = b.result(&mut cache);
        assert!(Arc::ptr_eq(&r1, &r2));
        assert!(!Arc::ptr_eq(&r1, &r3));
        assert_ne!(r1.hash(), r3.hash());
    }

    #[test]
    fn many_labels_grow_the_index() {
        let mut b = builder(&[]);
        for round in 0..3 {
            b.reset(&[]);
            for i in 0..300 {
                b.set_parsed(&format!("k{i}"), &format!("v{i}-{round}"));
            }
            for i in 0..300 {
                assert_eq!(
                    b.get(&format!("k{i}")),
                    Some(format!("v{i}-{round}").as_str())
                );
            }
        }
    }

    #[test]
    fn grouping_keeps_or_removes_labels() {
        let mut b = builder(&[("app", "web"), ("env", "prod")]);
        let mut cache = ResultCache::new(Arc::new(LabelsResult::from_stream(&b.stream)));
        b.reset(&[]);
        b.set_parsed("status", "500");
        let by = Grouping {
            without: false,
            labels: vec!["status".into(), "app".into(), "missing".into()],
        };
        assert_eq!(
            all(&b.grouped_result(&by, &mut cache)),
            r#"{app="web", status="500"}"#
        );
        let without = Grouping {
            without: true,
            labels: vec!["status".into()],
        };
        assert_eq!(
            all(&b.grouped_result(&without, &mut cache)),
            r#"{app="web", env="prod"}"#
        );
        let none = Grouping {
            without: false,
            labels: vec![],
        };
        assert!(b.grouped_result(&none, &mut cache).all().is_empty());
        b.set_error("X");
        assert_eq!(
            all(&b.grouped_result(&by, &mut cache)),
            r#"{__error__="X", app="web", env="prod", status="500"}"#
        );
    }
}
