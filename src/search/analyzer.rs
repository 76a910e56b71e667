//! Text analysis shared by indexing and querying, so both sides see the same tokens.
//!
//! Normalisation: NFKC (full-width ＡＢＣ１２３ = ABC123), lower case, Traditional Chinese folded to
//! Simplified. Then two analyses, indexed side by side (DESIGN.md: jieba alone misses forum words):
//! - `words`: jieba search-mode segmentation of Chinese runs (with a domain dictionary), Latin and
//!   digit runs as words, English stemmed;
//! - `bigrams`: every pair of adjacent Chinese characters (a lone character as itself), Latin and
//!   digit runs as words. Any Chinese substring of two or more characters is a phrase of bigrams.
//!
//! Token offsets point into the original text, so highlighted snippets line up.

use jieba_rs::Jieba;
use std::sync::OnceLock;
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

pub const WORDS: &str = "chorus_words";
pub const BIGRAMS: &str = "chorus_bigrams";
/// Both analyses in one stream (the words, then the bigrams), for one field that holds them
/// side by side: a two-character word is then one term, not one in each of two fields.
pub const BOTH: &str = "chorus_both";

/// Positions between the words and the bigrams of one text, so no phrase spans the two.
const BOTH_GAP: usize = 1000;

/// Forum words jieba's general dictionary misses or splits (product names, 卡顿, 闪退, 掉帧 ...).
const DOMAIN_WORDS: &[&str] = &[
    "卡顿",
    "闪退",
    "掉帧",
    "投屏",
    "米粉",
    "发热",
    "耗电",
    "掉电",
    "续航",
    "快充",
    "息屏",
    "亮屏",
    "熄屏",
    "刷机",
    "root",
    "内测",
    "公测",
    "开发版",
    "稳定版",
    "内存泄漏",
    "后台",
    "自启动",
    "锁屏",
    "负一屏",
    "手环",
    "手表",
    "扫地机",
    "扫地机器人",
    "路由器",
    "智能音箱",
    "夜景",
    "人像",
    "长焦",
    "广角",
    "超广角",
    "蓝牙",
    "断连",
    "信号",
    "基带",
    "双卡",
    "热点",
    "指纹",
    "面部解锁",
    "息屏显示",
    "高刷",
    "刷新率",
    "相册",
    "钱包",
    "应用分身",
    "游戏模式",
    "护眼模式",
    "深色模式",
    "米家",
    "澎湃",
];

/// The one segmenter of the process (loading the dictionary takes ~0.3 s).
pub fn jieba() -> &'static Jieba {
    static J: OnceLock<Jieba> = OnceLock::new();
    J.get_or_init(|| {
        let mut j = Jieba::new();
        for w in DOMAIN_WORDS {
            j.add_word(w, Some(50_000), None);
        }
        j
    })
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Ideographs NFKC leaves alone: every unified ideograph (the compatibility blocks decompose).
fn nfkc_stable_ideograph(c: char) -> bool {
    is_cjk(c) && !matches!(c as u32, 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// The normalised text and, for each normalised char, the original byte range it came from.
/// ASCII and unified ideographs (nearly all forum text) take a fast path: NFKC cannot change them.
fn normalise(text: &str) -> (Vec<char>, Vec<(usize, usize)>) {
    let mut chars = Vec::with_capacity(text.len());
    let mut spans = Vec::with_capacity(text.len());
    let mut has_cjk = false;
    for (start, c) in text.char_indices() {
        let span = (start, start + c.len_utf8());
        if c.is_ascii() {
            chars.push(c.to_ascii_lowercase());
            spans.push(span);
        } else if nfkc_stable_ideograph(c) {
            has_cjk = true;
            chars.push(c);
            spans.push(span);
        } else {
            for n in std::iter::once(c).nfkc().flat_map(char::to_lowercase) {
                has_cjk |= is_cjk(n);
                chars.push(n);
                spans.push(span);
            }
        }
    }
    // Traditional to Simplified: one char out for each char in, so the spans still line up.
    if has_cjk {
        let simplified: Vec<char> = fast2s::convert(&chars.iter().collect::<String>())
            .chars()
            .collect();
        if simplified.len() == chars.len() {
            chars = simplified;
        }
    }
    (chars, spans)
}

#[derive(Clone, Copy, PartialEq)]
enum Run {
    Cjk,
    Word,
}

/// Runs of Chinese characters and of letters/digits; everything else separates.
fn runs(chars: &[char]) -> Vec<(Run, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let kind = if is_cjk(chars[i]) {
            Run::Cjk
        } else if chars[i].is_alphanumeric() {
            Run::Word
        } else {
            i += 1;
            continue;
        };
        let start = i;
        while i < chars.len()
            && (if kind == Run::Cjk {
                is_cjk(chars[i])
            } else {
                chars[i].is_alphanumeric() && !is_cjk(chars[i])
            })
        {
            i += 1;
        }
        out.push((kind, start, i));
    }
    out
}

fn token(
    chars: &[char],
    spans: &[(usize, usize)],
    from: usize,
    to: usize,
    position: usize,
) -> Token {
    Token {
        offset_from: spans[from].0,
        offset_to: spans[to - 1].1,
        position,
        text: chars[from..to].iter().collect(),
        position_length: 1,
    }
}

/// Tokens of one analysis, computed eagerly.
pub struct Tokens {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[derive(Clone, Default)]
pub struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let (chars, spans) = normalise(text);
        let mut tokens = Vec::new();
        let mut position = 0;
        for (kind, start, end) in runs(&chars) {
            match kind {
                Run::Word => {
                    tokens.push(token(&chars, &spans, start, end, position));
                    position += 1;
                }
                Run::Cjk => {
                    let run: String = chars[start..end].iter().collect();
                    // Search mode also emits the shorter words inside long ones (相机 in 手机相机).
                    for w in jieba().cut_for_search(&run, true) {
                        if w.end > w.start && start + w.end <= end {
                            tokens.push(token(
                                &chars,
                                &spans,
                                start + w.start,
                                start + w.end,
                                position,
                            ));
                            position += 1;
                        }
                    }
                }
            }
        }
        Tokens { tokens, index: 0 }
    }
}

#[derive(Clone, Default)]
pub struct BigramTokenizer;

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let (chars, spans) = normalise(text);
        let mut tokens = Vec::new();
        let mut position = 0;
        for (kind, start, end) in runs(&chars) {
            match kind {
                Run::Word => {
                    tokens.push(token(&chars, &spans, start, end, position));
                    position += 1;
                }
                Run::Cjk if end - start == 1 => {
                    tokens.push(token(&chars, &spans, start, end, position));
                    position += 1;
                }
                Run::Cjk => {
                    for i in start..end - 1 {
                        tokens.push(token(&chars, &spans, i, i + 2, position));
                        position += 1;
                    }
                }
            }
        }
        Tokens { tokens, index: 0 }
    }
}

/// The word analyzer with its tokens in text order, for snippets. Search mode emits a long word
/// and the words inside it in jieba's order, which can step backwards; tantivy's fragment search
/// subtracts offsets and needs them in order (it overflowed on demo posts). Positions do not
/// matter for snippets, so the index keeps the analyzer it was built with.
#[derive(Clone, Default)]
pub struct SnippetTokenizer;

impl Tokenizer for SnippetTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut out = WordTokenizer.token_stream(text);
        out.tokens
            .sort_by_key(|t| (t.offset_from, t.offset_to, t.position));
        out
    }
}

/// The words and then the bigrams of a text, each with its analyzer's filters.
#[derive(Clone)]
pub struct BothTokenizer {
    words: TextAnalyzer,
    bigrams: TextAnalyzer,
}

impl Tokenizer for BothTokenizer {
    type TokenStream<'a> = Tokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let mut tokens = Vec::new();
        let mut words = self.words.token_stream(text);
        while words.advance() {
            tokens.push(words.token().clone());
        }
        let base = tokens.last().map_or(0, |t: &Token| t.position + BOTH_GAP);
        let mut bigrams = self.bigrams.token_stream(text);
        while bigrams.advance() {
            let mut t = bigrams.token().clone();
            t.position += base;
            tokens.push(t);
        }
        Tokens { tokens, index: 0 }
    }
}

pub fn for_snippets() -> TextAnalyzer {
    TextAnalyzer::builder(SnippetTokenizer)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// One of the analyzers, by name (`WORDS`, `BIGRAMS` or `BOTH`).
pub fn build(name: &str) -> TextAnalyzer {
    match name {
        WORDS => TextAnalyzer::builder(WordTokenizer)
            .filter(Stemmer::new(Language::English))
            .build(),
        BOTH => TextAnalyzer::from(BothTokenizer {
            words: build(WORDS),
            bigrams: build(BIGRAMS),
        }),
        _ => TextAnalyzer::from(BigramTokenizer),
    }
}

/// Registers the analyzers on an index.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(WORDS, build(WORDS));
    index.tokenizers().register(BIGRAMS, build(BIGRAMS));
    index.tokenizers().register(BOTH, build(BOTH));
}

/// Each token an analyzer produces with its position, for building queries by hand.
pub fn positioned(analyzer: &str, text: &str) -> Vec<(usize, String)> {
    let mut a = build(analyzer);
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

/// The tokens an analyzer produces.
pub fn tokens(analyzer: &str, text: &str) -> Vec<String> {
    positioned(analyzer, text)
        .into_iter()
        .map(|(_, t)| t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_find_short_words_inside_long_ones() {
        let t = tokens(WORDS, "小米手机的相机很好");
        assert!(t.contains(&"相机".to_string()), "{t:?}");
        let t = tokens(WORDS, "升级后游戏卡顿严重，还会闪退");
        assert!(
            t.contains(&"卡顿".to_string()) && t.contains(&"闪退".to_string()),
            "{t:?}"
        );
    }

    #[test]
    fn normalisation_folds_width_case_and_script() {
        assert_eq!(tokens(WORDS, "ＡＢＣ１２３"), vec!["abc123"]);
        assert!(tokens(WORDS, "相機很好").contains(&"相机".to_string()));
        assert_eq!(tokens(BIGRAMS, "相機"), vec!["相机"]);
        assert_eq!(tokens(WORDS, "Cameras crashing"), vec!["camera", "crash"]);
    }

    /// The fast paths must not change a thing: compare with NFKC + lower case on every char.
    #[test]
    fn the_fast_normalisation_matches_the_plain_one() {
        for text in [
            "小米手机 MIUI 14，相機很好！ＡＢＣ１２３ Ｘ",
            "\u{F900}\u{2F800}豈 ﬁle Ⅻ ㎏ Straße İstanbul",
            "déjà vu e\u{301} 𠀀𪚥 한국어 العربية",
        ] {
            let mut plain = Vec::new();
            let mut spans = Vec::new();
            for (start, c) in text.char_indices() {
                for n in std::iter::once(c).nfkc().flat_map(char::to_lowercase) {
                    plain.push(n);
                    spans.push((start, start + c.len_utf8()));
                }
            }
            let folded: Vec<char> = fast2s::convert(&plain.iter().collect::<String>())
                .chars()
                .collect();
            assert_eq!(normalise(text), (folded, spans), "{text}");
        }
    }

    #[test]
    fn snippet_tokens_never_step_backwards() {
        let mut backwards = 0;
        // Demo sentences (`demo::corpus`) and long compounds.
        for text in [
            "关闭后台自启动以后续航明显变好了。打开开发者选项里的动画缩放也有帮助。",
            "充电时玩游戏发热是正常的，但不要太烫。蓝牙连接车机偶尔断开，不知道是不是个例。",
            "中华人民共和国的电池健康度目前还是百分之九十八。",
            "屏幕亮度调到自动以后眼睛舒服很多。投屏到电视延迟很低，看视频很流畅。",
        ] {
            let ends = |mut a: TextAnalyzer| {
                let mut s = a.token_stream(text);
                let mut v = Vec::new();
                while s.advance() {
                    v.push((s.token().offset_from, s.token().offset_to));
                }
                v
            };
            let words = ends(build(WORDS));
            backwards += words.windows(2).filter(|w| w[1].1 < w[0].0).count();
            let sorted = ends(for_snippets());
            assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{text}");
            assert_eq!(sorted.len(), words.len());
        }
        assert!(
            backwards > 0,
            "the demo corpus has the case this guards against"
        );
    }

    #[test]
    fn bigrams_cover_every_pair_and_keep_offsets() {
        assert_eq!(tokens(BIGRAMS, "扫地机 S10"), vec!["扫地", "地机", "s10"]);
        let mut a = TextAnalyzer::from(BigramTokenizer);
        let text = "Ｘ相機";
        let mut s = a.token_stream(text);
        let mut spans = Vec::new();
        while s.advance() {
            spans.push((s.token().offset_from, s.token().offset_to));
        }
        assert_eq!(
            spans,
            vec![(0, 3), (3, 9)],
            "offsets point into the original text"
        );
    }
}
