//! Markdown read back with a CommonMark parser (pulldown-cmark, GitHub's
//! tables and strikethrough on), to check what a reader of a job summary
//! or a pull-request comment sees.
#![allow(dead_code)] // each test binary uses its own part of this module

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// What a Markdown document renders as, in the parts the tests look at.
#[derive(Debug, Default)]
pub struct Rendered {
    /// Every table: rows (the header first) of cells, each cell's text.
    pub tables: Vec<Vec<Vec<String>>>,
    /// Every heading's text.
    pub headings: Vec<String>,
    /// Every paragraph's and list item's text.
    pub paragraphs: Vec<String>,
    /// Raw HTML, block or inline: none may come from user text.
    pub html: Vec<String>,
    /// Code spans and blocks.
    pub code: Vec<String>,
    /// Emphasis, strong, strikethrough, links and images opened.
    pub markup: usize,
}

impl Rendered {
    /// The table whose header starts with `first`.
    pub fn table(&self, first: &str) -> &Vec<Vec<String>> {
        self.tables
            .iter()
            .find(|t| {
                t.first()
                    .and_then(|h| h.first())
                    .is_some_and(|c| c == first)
            })
            .unwrap_or_else(|| panic!("no table with a `{first}` column: {:?}", self.tables))
    }
}

/// Parses `text` as GitHub does (tables, strikethrough).
pub fn render(text: &str) -> Rendered {
    let mut out = Rendered::default();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell: Option<String> = None;
    let mut heading: Option<String> = None;
    let mut paragraph: Option<String> = None;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(text, options) {
        let sink = |s: &str,
                    cell: &mut Option<String>,
                    heading: &mut Option<String>,
                    paragraph: &mut Option<String>| {
            if let Some(c) = cell.as_mut() {
                c.push_str(s);
            } else if let Some(h) = heading.as_mut() {
                h.push_str(s);
            } else if let Some(p) = paragraph.as_mut() {
                p.push_str(s);
            }
        };
        match event {
            Event::Start(Tag::Table(_)) => table = Vec::new(),
            Event::End(TagEnd::Table) => out.tables.push(std::mem::take(&mut table)),
            Event::Start(Tag::TableHead | Tag::TableRow) => row = Vec::new(),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                table.push(std::mem::take(&mut row))
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => row.push(cell.take().unwrap_or_default()),
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => out.headings.extend(heading.take()),
            Event::Start(Tag::Paragraph | Tag::Item) if paragraph.is_none() => {
                paragraph = Some(String::new())
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => out.paragraphs.extend(paragraph.take()),
            Event::Start(
                Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. },
            ) => out.markup += 1,
            Event::Text(t) => sink(&t, &mut cell, &mut heading, &mut paragraph),
            Event::Code(t) => {
                out.code.push(t.to_string());
                sink(&t, &mut cell, &mut heading, &mut paragraph);
            }
            Event::Html(t) | Event::InlineHtml(t) => out.html.push(t.to_string()),
            Event::SoftBreak | Event::HardBreak => {
                sink(" ", &mut cell, &mut heading, &mut paragraph)
            }
            _ => {}
        }
    }
    out
}
