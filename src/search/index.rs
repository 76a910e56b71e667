//! The tantivy index: one document per visible post. The opening post carries the topic title
//! (boosted at query time); every post carries the topic's kind, board, product and status for
//! filters, and a bug's or idea's opening post its title and report once more for the triage
//! queue. How far the outbox has been applied is stored in the commit payload.

use super::analyzer::{self, BIGRAMS, BOTH, WORDS};
use std::path::Path;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

#[derive(Clone, Copy)]
pub struct Fields {
    pub post_id: Field,
    pub topic_id: Field,
    pub title_words: Field,
    pub title_bigrams: Field,
    pub body_words: Field,
    pub body_bigrams: Field,
    pub topic_title: Field,
    pub kind: Field,
    pub board: Field,
    pub product: Field,
    pub status: Field,
    pub author: Field,
    pub created: Field,
    pub votes: Field,
    /// The routed team's slug (none while unrouted; a slug never changes), so the triage queue's
    /// search looks inside a team rather than keeping the best matches of every team and
    /// dropping most of them, and can start before the team's id is read.
    pub team: Field,
    /// A bug's or idea's title and report again (its opening post; words and bigrams in one
    /// field), so the queue's search walks the reports' postings only, not every post of the
    /// forum, and a two-character word is one term rather than a union of two fields.
    pub item_text: Field,
    /// `/kind/bug`, `/board/phones`, `/status/new`: counted in the same pass as the hits.
    pub facets: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let idx = TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let o = TextOptions::default().set_indexing_options(idx);
        if stored {
            o.set_stored()
        } else {
            o
        }
    };
    let fields = Fields {
        post_id: b.add_u64_field("post_id", INDEXED | STORED | FAST),
        topic_id: b.add_u64_field("topic_id", INDEXED | STORED | FAST),
        title_words: b.add_text_field("title_words", text(WORDS, false)),
        title_bigrams: b.add_text_field("title_bigrams", text(BIGRAMS, false)),
        body_words: b.add_text_field("body_words", text(WORDS, true)),
        body_bigrams: b.add_text_field("body_bigrams", text(BIGRAMS, false)),
        topic_title: b.add_text_field("topic_title", STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        board: b.add_text_field("board", STRING | STORED | FAST),
        product: b.add_text_field("product", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED | FAST),
        author: b.add_text_field("author", STRING | STORED),
        created: b.add_i64_field("created", INDEXED | STORED | FAST),
        votes: b.add_u64_field("votes", STORED | FAST),
        team: b.add_text_field("team", STRING | FAST),
        item_text: b.add_text_field("item_text", text(BOTH, false)),
        facets: b.add_facet_field("facets", tantivy::schema::FacetOptions::default()),
    };
    (b.build(), fields)
}

pub struct SearchIndex {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// One writer per index directory; the indexer and `reindex` take turns.
    pub writer: tokio::sync::Mutex<IndexWriter<TantivyDocument>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Other(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] crate::db::DbError),
    /// The index is being rebuilt after damage.
    #[error("search index unavailable while it is rebuilt")]
    Unavailable,
}

impl SearchError {
    /// Failures inside the index files (as opposed to the database, or a rebuild under way).
    /// A query a user typed never counts: only the files (read, open, decode) or a panic do.
    pub fn is_damage(&self) -> bool {
        use tantivy::TantivyError as T;
        match self {
            SearchError::Tantivy(e) => matches!(
                e,
                T::DataCorruption(_)
                    | T::IoError(_)
                    | T::OpenReadError(_)
                    | T::OpenDirectoryError(_)
                    | T::ErrorInThread(_)
                    | T::InternalError(_)
                    | T::DeserializeError(_)
                    | T::IncompatibleIndex(_)
            ),
            SearchError::Io(_) | SearchError::Other(_) => true,
            _ => false,
        }
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if empty.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| SearchError::Other(e.to_string()))?;
        let index = Index::open_or_create(directory, schema)?;
        analyzer::register(&index);
        // Indexing runs on the runner's task; one thread and a modest arena keep it polite.
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            writer: tokio::sync::Mutex::new(writer),
        })
    }

    /// How far the outbox has been applied to this index (`Fresh` for a new one).
    pub fn position(&self) -> Position {
        let payload = self.index.load_metas().ok().and_then(|m| m.payload);
        let Some(payload) = payload else {
            return Position::Fresh;
        };
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        match (
            v.get("xid").and_then(|x| x.as_i64()),
            v.get("id").and_then(|x| x.as_i64()),
        ) {
            (Some(xid), Some(id)) => Position::At(Cursor { xid, id }),
            // Written by a build that kept only an id: it may have skipped rows.
            _ => Position::Unknown,
        }
    }
}

/// A place in the outbox, in the order it is read: the writing transaction's id, then the row id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub xid: i64,
    pub id: i64,
}

impl Cursor {
    pub fn payload(self) -> String {
        serde_json::json!({ "xid": self.xid, "id": self.id }).to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A new index: nothing applied yet.
    Fresh,
    /// Every outbox row at or before this cursor is applied.
    At(Cursor),
    /// A payload this build cannot trust: rebuild.
    Unknown,
}
