//! Queries: BM25 over both analyses (jieba words ranked above bigrams, titles above bodies),
//! quoted phrases, filters, sorts, safe highlighted snippets. Malformed input is parsed leniently:
//! any string gives results or an empty list, never an error.

use super::index::{SearchError, SearchIndex};
use crate::fields::{Kind, Status};
use serde::Serialize;
use std::collections::BTreeMap;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, TantivyDocument, Term};

pub const PAGE_SIZE: usize = 20;
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    #[default]
    Relevance,
    New,
    Votes,
}

#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub kind: Option<String>,
    pub board: Option<String>,
    pub product: Option<String>,
    pub status: Option<String>,
    pub author: Option<String>,
    pub sort: SearchSort,
    /// 1-based.
    pub page: usize,
    /// Boards the searcher may not read (`Reader::closed_board_slugs`): excluded inside the
    /// index query, so totals and facets count only what this searcher may see.
    pub closed_boards: Vec<String>,
}

/// `MustNot` clauses for the boards closed to the searcher.
fn closed_clauses(
    field: tantivy::schema::Field,
    closed: &[String],
) -> Vec<(Occur, Box<dyn Query>)> {
    closed
        .iter()
        .map(|slug| -> (Occur, Box<dyn Query>) {
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, slug),
                    IndexRecordOption::Basic,
                )),
            )
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SearchHit)]
pub struct Hit {
    pub topic_id: i64,
    pub post_id: i64,
    pub title: String,
    pub snippet_html: String,
    pub kind: String,
    pub board: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SearchResults)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Matching posts per kind, board and status: `{"kind": {"bug": 3}, ...}`.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// The query's words in `field`, weighted as `SnippetGenerator::create` weighs them (rarer is
/// better), for a generator built with the snippet analyzer.
fn snippet_terms(
    searcher: &tantivy::Searcher,
    query: &dyn tantivy::query::Query,
    field: tantivy::schema::Field,
) -> tantivy::Result<BTreeMap<String, tantivy::Score>> {
    let mut terms = std::collections::BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term.clone());
        }
    });
    let mut out = BTreeMap::new();
    for term in terms {
        let Some(text) = term.value().as_str().map(str::to_string) else {
            continue;
        };
        let freq = searcher.doc_freq(&term)?;
        if freq > 0 {
            out.insert(text, 1.0 / (1.0 + freq as tantivy::Score));
        }
    }
    Ok(out)
}

/// Keeps what a person typed, minus what can only hurt: control characters and excess length.
fn clean(q: &str) -> String {
    q.chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Unquoted Chinese chunks become separate words (otherwise the parser would demand them as one
/// exact phrase); quoted text stays a phrase.
fn segment(q: &str) -> String {
    let mut out = String::new();
    for (i, part) in q.split('"').enumerate() {
        if i % 2 == 1 {
            out.push('"');
            out.push_str(part);
            out.push('"');
            continue;
        }
        for chunk in part.split_whitespace() {
            if chunk
                .chars()
                .any(|c| ('\u{3400}'..='\u{9fff}').contains(&c))
                && !chunk.contains(':')
            {
                let words: Vec<String> = super::analyzer::tokens(super::analyzer::WORDS, chunk);
                out.push(' ');
                out.push_str(&words.join(" "));
            } else {
                out.push(' ');
                out.push_str(chunk);
            }
        }
    }
    out.trim().to_string()
}

/// Posts whose body matches `q` as a search would read it (for recall measurements).
pub fn count_in_bodies(idx: &SearchIndex, q: &str) -> Result<usize, SearchError> {
    let f = idx.fields;
    let mut parser = QueryParser::for_index(&idx.index, vec![f.body_words, f.body_bigrams]);
    parser.set_conjunction_by_default();
    let query = parser.parse_query_lenient(&segment(&clean(q))).0;
    Ok(idx.reader.searcher().search(&query, &Count)?)
}

/// How typed words are read, by site search and the triage queue alike: every word required,
/// titles above bodies, jieba words above bigrams.
fn text_parser(idx: &SearchIndex) -> QueryParser {
    let f = idx.fields;
    let mut parser = QueryParser::for_index(
        &idx.index,
        vec![f.title_words, f.title_bigrams, f.body_words, f.body_bigrams],
    );
    parser.set_conjunction_by_default();
    parser.set_field_boost(f.title_words, 4.0);
    parser.set_field_boost(f.title_bigrams, 2.0);
    parser.set_field_boost(f.body_words, 2.0);
    parser.set_field_boost(f.body_bigrams, 1.0);
    parser
}

pub fn search(idx: &SearchIndex, p: &SearchParams) -> Result<Results, SearchError> {
    let f = idx.fields;
    let q = segment(&clean(&p.q));
    let parser = text_parser(idx);
    let main: Box<dyn Query> = if q.is_empty() {
        Box::new(AllQuery)
    } else {
        parser.parse_query_lenient(&q).0
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main.box_clone())];
    for (field, value) in [
        (f.kind, &p.kind),
        (f.board, &p.board),
        (f.product, &p.product),
        (f.status, &p.status),
        (f.author, &p.author),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                )),
            ));
        }
    }
    clauses.extend(closed_clauses(f.board, &p.closed_boards));
    let query = BooleanQuery::new(clauses);
    if q.is_empty()
        && p.kind.is_none()
        && p.board.is_none()
        && p.product.is_none()
        && p.status.is_none()
        && p.author.is_none()
    {
        return Ok(Results {
            total: 0,
            hits: Vec::new(),
            facets: BTreeMap::new(),
        });
    }
    let searcher = idx.reader.searcher();
    let offset = p.page.max(1).saturating_sub(1).min(500) * PAGE_SIZE;
    let top = TopDocs::with_limit(PAGE_SIZE).and_offset(offset);
    let mut facet_collector = FacetCollector::for_field("facets");
    for root in ["/kind", "/board", "/status"] {
        facet_collector.add_facet(root);
    }
    let (addresses, total, facet_counts) = match p.sort {
        SearchSort::Relevance => {
            let collectors = (top.order_by_score(), Count, facet_collector);
            let (docs, n, fc) = searcher.search(&query, &collectors)?;
            (
                docs.into_iter()
                    .map(|(_, a)| a)
                    .collect::<Vec<DocAddress>>(),
                n,
                fc,
            )
        }
        SearchSort::New => {
            let collectors = (
                top.order_by_fast_field::<i64>("created", Order::Desc),
                Count,
                facet_collector,
            );
            let (docs, n, fc) = searcher.search(&query, &collectors)?;
            (docs.into_iter().map(|(_, a)| a).collect(), n, fc)
        }
        SearchSort::Votes => {
            let collectors = (
                top.order_by_fast_field::<u64>("votes", Order::Desc),
                Count,
                facet_collector,
            );
            let (docs, n, fc) = searcher.search(&query, &collectors)?;
            (docs.into_iter().map(|(_, a)| a).collect(), n, fc)
        }
    };
    let mut facets: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for root in ["kind", "board", "status"] {
        let counts = facet_counts.get(&format!("/{root}")).map(|(facet, n)| {
            let value = facet
                .to_path()
                .last()
                .map(|v| v.to_string())
                .unwrap_or_default();
            (value, n)
        });
        facets.insert(root.to_string(), counts.collect());
    }
    let mut snippets = SnippetGenerator::new(
        snippet_terms(&searcher, &*main, f.body_words)?,
        super::analyzer::for_snippets(),
        f.body_words,
        160,
    );
    snippets.set_max_num_chars(160);
    let mut hits = Vec::with_capacity(addresses.len());
    for a in addresses {
        let d: TantivyDocument = searcher.doc(a)?;
        let text = |field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let num = |field| d.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
        let mut snippet_html = snippets.snippet_from_doc(&d).to_html();
        if snippet_html.is_empty() {
            let body = text(f.body_words);
            snippet_html = escape(&body.chars().take(160).collect::<String>());
        }
        hits.push(Hit {
            topic_id: num(f.topic_id),
            post_id: num(f.post_id),
            title: text(f.topic_title),
            snippet_html,
            kind: text(f.kind),
            board: text(f.board),
            status: text(f.status),
        });
    }
    Ok(Results {
        total,
        hits,
        facets,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SimilarTopic)]
pub struct Similar {
    pub topic_id: i64,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
}

/// Up to 5 topics that look like what is being written: any of its words may match (an OR),
/// the same board and product and open items rank higher. Boards in `closed` never appear.
pub fn similar(
    idx: &SearchIndex,
    title: &str,
    body: &str,
    board: Option<&str>,
    product: Option<&str>,
    closed: &[String],
) -> Result<Vec<Similar>, SearchError> {
    use tantivy::query::BoostQuery;
    let f = idx.fields;
    // Only words: query syntax in a title must not change the query's meaning.
    let text: String = format!("{title} {}", body.chars().take(300).collect::<String>())
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let text = segment(&clean(&text));
    if text.chars().filter(|c| !c.is_whitespace()).count() < 2 {
        return Ok(Vec::new());
    }
    let mut parser = QueryParser::for_index(
        &idx.index,
        vec![f.title_words, f.body_words, f.title_bigrams],
    );
    parser.set_field_boost(f.title_words, 3.0);
    parser.set_field_boost(f.title_bigrams, 1.5);
    let main = parser.parse_query_lenient(&text).0;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
    let term = |field, v: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, v),
            IndexRecordOption::Basic,
        ))
    };
    if let Some(b) = board.filter(|b| !b.is_empty()) {
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(term(f.board, b), 1.5)),
        ));
    }
    if let Some(p) = product.filter(|p| !p.is_empty()) {
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(term(f.product, p), 2.0)),
        ));
    }
    for s in Status::OPEN {
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(term(f.status, s.as_str()), 0.5)),
        ));
    }
    clauses.push((Occur::MustNot, term(f.status, Status::Duplicate.as_str())));
    clauses.extend(closed_clauses(f.board, closed));
    let searcher = idx.reader.searcher();
    let top = searcher.search(
        &BooleanQuery::new(clauses),
        &TopDocs::with_limit(40).order_by_score(),
    )?;
    let mut out: Vec<Similar> = Vec::new();
    for (_, a) in top {
        let d: TantivyDocument = searcher.doc(a)?;
        let topic_id = d
            .get_first(f.topic_id)
            .and_then(|v| v.as_u64())
            .unwrap_or(0) as i64;
        if out.iter().any(|s| s.topic_id == topic_id) {
            continue;
        }
        let text = |field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        // A document written by an older build may hold a value this one no longer knows.
        let (Some(kind), Some(status)) = (
            Kind::from_text(&text(f.kind)),
            Status::from_text(&text(f.status)),
        ) else {
            continue;
        };
        out.push(Similar {
            topic_id,
            title: text(f.topic_title),
            kind,
            status,
        });
        if out.len() == 5 {
            break;
        }
    }
    Ok(out)
}

/// What the triage queue already knows it wants, so the best matches are found among those.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    pub product: Option<String>,
    /// Routed to one of these teams, by slug (None: any team, or none).
    pub teams: Option<Vec<String>>,
}

/// Open bugs and ideas whose title or report (the opening post) matches `q`, read with the
/// site search's analyzers, narrowed as `narrow` says, best first, at most `limit` of them.
/// The triage queue filters by these ids (the database has the last word) and applies its own
/// sort.
pub fn topics_matching(
    idx: &SearchIndex,
    q: &str,
    narrow: &Narrow,
    closed: &[String],
    limit: usize,
) -> Result<Vec<i64>, SearchError> {
    let f = idx.fields;
    let q = segment(&clean(q));
    if q.is_empty() || narrow.teams.as_ref().is_some_and(|t| t.is_empty()) {
        return Ok(Vec::new());
    }
    let Some(text) = item_text_query(f.item_text, &q) else {
        return Ok(Vec::new());
    };
    // One document per item holds its text, so each hit is another topic.
    let top = idx.reader.searcher().search(
        &text,
        &QueueMatches {
            narrow: narrow.clone(),
            closed: closed.to_vec(),
            limit: limit.max(1),
        },
    )?;
    Ok(top.into_iter().map(|m| m.topic_id as i64).collect())
}

/// Every word of `q` (as `segment` split it; a quoted part is one phrase) in the feedback's own
/// field: the word's analysis, or its bigrams, as a term or a phrase. Where both analyses give
/// the same single term (most two-character words, Latin words), it is that one term.
fn item_text_query(field: tantivy::schema::Field, q: &str) -> Option<Box<dyn Query>> {
    use super::analyzer::{positioned, BIGRAMS, WORDS};
    let one = |tokens: Vec<(usize, String)>| -> Option<Box<dyn Query>> {
        match tokens.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                Term::from_field_text(field, &tokens[0].1),
                IndexRecordOption::WithFreqs,
            ))),
            _ => {
                let start = tokens[0].0;
                Some(Box::new(tantivy::query::PhraseQuery::new_with_offset(
                    tokens
                        .into_iter()
                        .map(|(p, t)| (p - start, Term::from_field_text(field, &t)))
                        .collect(),
                )))
            }
        }
    };
    let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, part) in q.split('"').enumerate() {
        let chunks: Vec<&str> = if i % 2 == 1 {
            vec![part]
        } else {
            part.split_whitespace().collect()
        };
        for chunk in chunks {
            let w = positioned(WORDS, chunk);
            let b = positioned(BIGRAMS, chunk);
            let same = w.iter().map(|t| &t.1).eq(b.iter().map(|t| &t.1));
            let q = if same {
                one(w)
            } else {
                match (one(w), one(b)) {
                    (Some(w), Some(b)) => Some(Box::new(BooleanQuery::new(vec![
                        (Occur::Should, w),
                        (Occur::Should, b),
                    ])) as Box<dyn Query>),
                    (w, b) => w.or(b),
                }
            };
            // A chunk with nothing to search for (punctuation) asks for nothing.
            if let Some(q) = q {
                words.push((Occur::Must, q));
            }
        }
    }
    match words.len() {
        0 => None,
        1 => words.pop().map(|(_, q)| q),
        _ => Some(Box::new(BooleanQuery::new(words))),
    }
}

/// The best-scoring posts of a queue search that pass its narrowing, read from the fast
/// columns of each hit. As required terms in the query, the kind, status and team lists (each
/// most of the index) were seeked into for every text hit: twice as slow for a common word.
struct QueueMatches {
    narrow: Narrow,
    closed: Vec<String>,
    limit: usize,
}

#[derive(Clone, Copy, PartialEq)]
struct QueueMatch {
    score: f32,
    topic_id: u64,
}

/// How one segment's string column must read: one of some values, or none of some.
enum Wanted {
    /// No wanted value is in this segment: nothing here can match.
    Missing,
    OneOf(Vec<u64>),
    NoneOf(Vec<u64>),
}

impl Wanted {
    fn one_of(col: &tantivy::columnar::StrColumn, values: &[&str]) -> Wanted {
        match Wanted::ords(col, values) {
            found if found.is_empty() => Wanted::Missing,
            found => Wanted::OneOf(found),
        }
    }

    fn ords(col: &tantivy::columnar::StrColumn, values: &[&str]) -> Vec<u64> {
        values
            .iter()
            .filter_map(|v| col.dictionary().term_ord(str::as_bytes(v)).ok().flatten())
            .collect()
    }

    fn accepts(&self, ord: Option<u64>) -> bool {
        match self {
            Wanted::Missing => false,
            Wanted::OneOf(os) => ord.is_some_and(|o| os.contains(&o)),
            Wanted::NoneOf(os) => ord.is_some_and(|o| !os.contains(&o)),
        }
    }
}

struct QueueSegment {
    topic: tantivy::columnar::Column<u64>,
    /// (column, what it must hold) for status, kind, product, team and board.
    strs: Vec<(tantivy::columnar::Column<u64>, Wanted)>,
    /// Nothing in this segment can match (`collect_segment` then skips it).
    empty: bool,
    limit: usize,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<Ranked>>,
}

/// A hit ordered by score, then by topic so ties are stable.
#[derive(Clone, Copy, PartialEq)]
struct Ranked(QueueMatch);

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .score
            .total_cmp(&other.0.score)
            .then(other.0.topic_id.cmp(&self.0.topic_id))
    }
}

impl tantivy::collector::Collector for QueueMatches {
    type Fruit = Vec<QueueMatch>;
    type Child = QueueSegment;

    fn for_segment(
        &self,
        _ord: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<QueueSegment> {
        let ff = reader.fast_fields();
        let mut empty = false;
        let mut strs = Vec::new();
        let mut want = |name: &str, wanted: &dyn Fn(&tantivy::columnar::StrColumn) -> Wanted| {
            match ff.str(name) {
                Ok(Some(col)) => {
                    let w = wanted(&col);
                    empty |= matches!(w, Wanted::Missing);
                    strs.push((col.ords().clone(), w));
                    Ok(())
                }
                // A segment without the column holds no document with a value for it.
                Ok(None) => {
                    empty = true;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        };
        let n = &self.narrow;
        // The likeliest to refuse first.
        want("status", &|c| match n.status {
            Some(st) => Wanted::one_of(c, &[st.as_str()]),
            None => {
                let shut: Vec<&str> = Status::ALL
                    .iter()
                    .filter(|st| !st.is_open())
                    .map(|st| st.as_str())
                    .collect();
                Wanted::NoneOf(Wanted::ords(c, &shut))
            }
        })?;
        if let Some(k) = n.kind {
            want("kind", &|c| Wanted::one_of(c, &[k.as_str()]))?;
        }
        if let Some(p) = &n.product {
            want("product", &|c| Wanted::one_of(c, &[p.as_str()]))?;
        }
        if let Some(teams) = &n.teams {
            let teams: Vec<&str> = teams.iter().map(String::as_str).collect();
            want("team", &|c| Wanted::one_of(c, &teams))?;
        }
        if !self.closed.is_empty() {
            let closed: Vec<&str> = self.closed.iter().map(String::as_str).collect();
            want("board", &|c| Wanted::NoneOf(Wanted::ords(c, &closed)))?;
        }
        Ok(QueueSegment {
            topic: ff.u64("topic_id")?,
            strs,
            empty,
            limit: self.limit,
            heap: Default::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    /// As `TopDocs` does: once the heap is full, the score a hit must beat rises, and the text
    /// query skips the blocks that cannot (block-max WAND; 10–30% less for a common word).
    fn collect_segment(
        &self,
        weight: &dyn tantivy::query::Weight,
        segment_ord: u32,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<Vec<QueueMatch>> {
        let mut seg = self.for_segment(segment_ord, reader)?;
        if seg.empty {
            return Ok(Vec::new());
        }
        let alive = reader.alive_bitset();
        weight.for_each_pruning(tantivy::Score::MIN, reader, &mut |doc, score| {
            if !alive.is_some_and(|a| a.is_deleted(doc)) {
                tantivy::collector::SegmentCollector::collect(&mut seg, doc, score);
            }
            seg.threshold()
        })?;
        Ok(tantivy::collector::SegmentCollector::harvest(seg))
    }

    fn merge_fruits(&self, fruits: Vec<Vec<QueueMatch>>) -> tantivy::Result<Vec<QueueMatch>> {
        let mut all: Vec<QueueMatch> = fruits.into_iter().flatten().collect();
        all.sort_by_key(|m| std::cmp::Reverse(Ranked(*m)));
        all.truncate(self.limit);
        Ok(all)
    }
}

impl QueueSegment {
    /// The score a hit must beat to enter a full heap.
    fn threshold(&self) -> tantivy::Score {
        match self.heap.peek() {
            Some(min) if self.heap.len() >= self.limit => min.0 .0.score,
            _ => tantivy::Score::MIN,
        }
    }
}

impl tantivy::collector::SegmentCollector for QueueSegment {
    type Fruit = Vec<QueueMatch>;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        if score <= self.threshold() {
            return;
        }
        if !self.strs.iter().all(|(col, w)| w.accepts(col.first(doc))) {
            return;
        }
        let Some(topic_id) = self.topic.first(doc) else {
            return;
        };
        self.heap
            .push(std::cmp::Reverse(Ranked(QueueMatch { score, topic_id })));
        if self.heap.len() > self.limit {
            self.heap.pop();
        }
    }

    fn harvest(self) -> Vec<QueueMatch> {
        self.heap.into_iter().map(|r| r.0 .0).collect()
    }
}
