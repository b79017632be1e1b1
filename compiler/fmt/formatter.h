// The Accord formatter: prints a parsed file in the one canonical layout,
// keeping every comment. `accord fmt` and editors call Format().
//
// Only format a file that parsed cleanly: ParseResult::syntax_errors == 0
// *and* no error diagnostics (a bad string escape drops its item from the AST
// without counting as a syntax error, and the formatter prints the AST).
//
// Properties (tested on every golden case and every *.accord file in the repo):
//   - the output re-parses without errors to the same AST (ast::SameAst);
//   - formatting is idempotent: Format(Parse(Format(x))) == Format(x);
//   - every comment is printed exactly once.
//
// The canonical layout
// --------------------
// Declarations
//   - One blank line between top-level declarations, except that consecutive
//     `schema` lines form one group without blank lines; the side names of a
//     group are padded so the paths line up.
//   - Stray `;` are dropped, except where one is needed to keep two sync items
//     apart (a field rule followed by an item that starts with `-`, `(`, `[`,
//     `.`, `{`, `with`, `via`, `conflict` or `blank`, ...): then the earlier
//     item ends with `;`.
// Blocks (sync, values, lifecycle, test, `on create`)
//   - `head {`, one item per line indented by FormatOptions::indent, `}` on its
//     own line; a block with no items and no comments prints as `head {}`.
//   - Items keep the author's order. Between two items a single blank line is
//     kept where the author had one or more; never two. No blank line right
//     after `{` or right before `}`.
//   - Field options print in a fixed order: with, via, conflict, blank, then the
//     `{ to ...: ... }` block.
//   - Small braced parts inside an item - a field rule's `{ to hubspot: a  to
//     salesforce: b }` and a test record `{ Field: value, ... }` - stay on the
//     item's line when they fit in FormatOptions::max_width and hold no
//     comment; otherwise they open a block with one entry per line (record
//     fields then each end with `,`).
// Alignment
//   - Values tables: the arrows of all `a <-> b` entries line up (the left
//     literal is padded to the widest one, the arrow is right-aligned so `->`
//     ends where `<->` ends). `else` entries are not padded.
//   - Sync blocks: the same for each run of consecutive field rules; a run
//     ends at a blank line, a comment line or any other item.
//   - A left side wider than 40 columns is never padded and does not widen
//     its run; it is followed by a single space.
// Expressions
//   - Printed from the AST: single spaces around binary operators, `?` and
//     `:`; none inside parentheses or brackets; `, ` between arguments and
//     elements; maps as `{k: v, k2: v2}`. Literals print exactly as written.
//   - The author's parentheses are kept; parentheses are added only where the
//     AST would otherwise not re-parse to itself. Expressions are never
//     broken over lines.
// Comments
//   - A comment that starts on the line where an item ends stays at the end of
//     that line, two spaces after the item (several such comments are joined
//     by one space). One on the line of a block's `{` stays after the `{`.
//   - Any other comment goes on its own line(s) before the next item, at the
//     item's indentation, keeping single blank lines around it as written.
//     Comments after the last item of a block go before its `}`; comments
//     after the last declaration end the file.
//   - A comment inside an item that prints on one line (say, in the middle of
//     an expression) moves to its own line just before the item.
//   - Comment text is kept verbatim, except that trailing spaces and the `\r`
//     of CRLF line ends are dropped. Output lines carry no trailing spaces
//     (multi-line string literals excepted: they are kept byte for byte).
// Encoding
//   - Output lines end with "\n", unless the source ends every line with
//     "\r\n" (or every line with a lone "\r"): then the output does too.
//   - A UTF-8 byte order mark at the start of the source is kept.
//   - The output ends with exactly one newline; a file with no declarations
//     and no comments formats to the empty string.
#pragma once

#include <string>

#include "compiler/ast/ast.h"

namespace accord::fmt {

struct FormatOptions {
  int indent = 2;       // spaces per block level
  int max_width = 100;  // for choosing one-line or multi-line braced parts
};

// Pretty-prints a parsed file in the one canonical layout, keeping every comment.
// Reads file.source for comment placement and blank lines; without a source,
// comments are printed at the end of the file.
std::string Format(const ast::File& file, const FormatOptions& options = {});

// Prints one expression the way Format() does (no comments).
std::string FormatExpr(const ast::Expr& expr);

}  // namespace accord::fmt
