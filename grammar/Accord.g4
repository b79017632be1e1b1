// The Accord rules language. The normative reference is docs/language.md.
// Expressions follow CEL (cel-spec doc/langdef.md). Statements need no
// separator; an optional ';' ends one explicitly, and so does a line break
// where the next line could otherwise continue the previous expression: the
// parse layer inserts a NEWLINE token before a '-', '(' or '[' that starts a
// line outside ( ) [ ] and an expression's { }, unless the previous line ends
// with an operator, an opening bracket, ',' ':' '?' '.', an arrow, `=`,
// `with`, `when` or `default` (docs/language.md 1.3).
grammar Accord;

tokens { NEWLINE }

file : decl* EOF ;

// A lone expression: `accord eval`, conformance tests.
exprInput : expr EOF ;

decl
  : schemaDecl
  | valuesDecl
  | syncDecl
  | lifecycleDecl
  | testDecl
  | ';'
  ;

schemaDecl : SCHEMA side STRING ;

side : SALESFORCE | HUBSPOT ;

objectRef : side '.' ident ;
fieldPath : side '.' ident '.' ident ;

arrow : BOTH | TO_HS | TO_SF ;

// ---- values tables ---------------------------------------------------------
valuesDecl : VALUES ident ':' fieldPath arrow fieldPath '{' valueEntry* '}' ;

valueEntry
  : valueLit arrow valueLit                       # valuePair
  | ELSE arrow elseTarget                         # valueElse
  | ';'                                           # valueEmpty
  ;

// In `else -> X` X is the value written for unlisted source values;
// `reject` turns them into a Property values sync error.
elseTarget : REJECT | KEEP | valueLit ;

valueLit : STRING | NUM_INT | NUM_UINT | NUM_FLOAT | TRUE | FALSE | NUL ;

// ---- sync blocks -----------------------------------------------------------
syncDecl : SYNC ident ':' objectRef arrow objectRef '{' syncItem* '}' ;

syncItem
  : MATCH matchKey                                      # matchItem
  | SCOPE side ':' expr                                 # scopeItem
  | CREATE IN side ONLY? (WHEN expr)?                   # createItem
  | CONFLICT conflictPolicy                             # conflictItem
  | BLANK blankPolicy                                   # blankItem
  | CONVERTS TO ident                                   # convertsItem
  | ON CREATE side '{' createDefault* '}'               # onCreateItem
  | ASSOCIATE ident arrow ident                         # associateItem
  | DELETE deletePolicy (FROM side)?                    # deleteItem
  | expr arrow expr fieldOption*                        # fieldRuleItem
  | (';' | NEWLINE)                                     # emptyItem
  ;

// `match email`, `match domain`, `match link`, or explicit key fields.
matchKey
  : ident BOTH ident                                    # matchFields
  | ident                                               # matchNamed
  ;

conflictPolicy
  : TWO_WAY                                             # conflictTwoWay
  | PREFER side (UNLESS BLANK)?                         # conflictPrefer
  | DONT_SYNC                                           # conflictDontSync
  ;

blankPolicy
  : IGNORE                                              # blankIgnore
  | CLEAR                                               # blankClear
  | DEFAULT expr                                        # blankDefault
  ;

deletePolicy : KEEP | PROPAGATE | UNLINK ;

// `conflict` and `blank` are also sync-wide defaults: as a field option they
// must start on the line where the rule's previous token ends; at the start
// of a line they begin a new sync item.
fieldOption
  : WITH expr                                           # withOption
  | VIA ident                                           # viaOption
  | {_input->LT(1)->getLine() == _input->LT(-1)->getLine()}?
    CONFLICT conflictPolicy                             # fieldConflictOption
  | {_input->LT(1)->getLine() == _input->LT(-1)->getLine()}?
    BLANK blankPolicy                                   # fieldBlankOption
  | '{' directedTransform* '}'                          # transformOption
  ;

directedTransform : TO side ':' expr ;

createDefault : ident '=' expr ';'? ;

// ---- lifecycle -------------------------------------------------------------
lifecycleDecl : LIFECYCLE fieldPath '{' lifecycleItem* '}' ;

lifecycleItem
  : ORDER stage ('<' stage)*                            # orderItem
  | FORWARD ONLY                                        # forwardOnlyItem
  | WHEN fieldPath BECOMES valueLit THEN stage
      (FOR ident OF ident)?                             # triggerItem
  | ';'                                                 # lifecycleEmpty
  ;

stage : ident | STRING ;

// ---- tests -----------------------------------------------------------------
testDecl : TEST STRING '{' testItem* '}' ;

testItem
  : GIVEN LINKED? objectRef STRING? recordLit           # givenItem
  | EXPECT objectRef recordLit                          # expectRecord
  | EXPECT NOTHING                                      # expectNothing
  | EXPECT ERROR ident                                  # expectError
  | ';'                                                 # testEmpty
  ;

recordLit : '{' (recordField (',' recordField)* ','?)? '}' ;
recordField : ident ':' expr ;

// ---- CEL expressions -------------------------------------------------------
// One left-recursive rule, precedence from the top (binds tightest) down, so
// that a plain name is three parse-tree nodes (expr, primary, ident), not
// nine: this is most of the parse time and memory of a big rule set. The
// parse layer rejects what CEL's own grammar does not allow but this rule
// would (`!-x`, `a ? b ? c : d : e` without parentheses). A run of '!' or
// '-' nests one level per operator (as `'!'+ expr` its prediction would look
// ahead to the end of the run for every '!'); runs are capped before the parse.
expr
  : primary                                             # exprPrimary
  | expr '.' selector                                   # exprSelect
  | expr '.' methodName '(' exprList? ')'               # exprCall
  | expr '[' expr ']'                                   # exprIndex
  | '!' expr                                            # exprNot
  | '-' expr                                            # exprNegate
  | expr op=('*' | '/' | '%') expr                      # exprBinary
  | expr op=('+' | '-') expr                            # exprBinary
  | expr op=('<' | '<=' | '>=' | '>' | '==' | '!=' | IN) expr   # exprBinary
  | expr op='&&' expr                                   # exprBinary
  | expr op='||' expr                                   # exprBinary
  | <assoc=right> expr '?' expr ':' expr                # exprConditional
  ;

// After a '.', CEL's reserved word `else` is a name too, and a field name
// that is not an identifier is written in backticks: m.`content-type`.
selector : ident | ELSE | QUOTED_IDENT ;
methodName : ident | ELSE ;

primary
  : ident ('(' exprList? ')')?                         # primaryIdent
  | '(' expr ')'                                        # primaryParen
  | '[' exprList? ','? ']'                              # primaryList
  | '{' mapInits? ','? '}'                              # primaryMap
  | literal                                             # primaryLiteral
  ;

exprList : expr (',' expr)* ;
mapInits : expr ':' expr (',' expr ':' expr)* ;

literal
  : NUM_INT | NUM_UINT | NUM_FLOAT | STRING | BYTES | TRUE | FALSE | NUL ;

// Accord's own keywords are soft: they may be used as names.
ident
  : IDENT | SCHEMA | SALESFORCE | HUBSPOT | VALUES | REJECT | KEEP | SYNC
  | MATCH | SCOPE | CREATE | ONLY | WHEN | CONFLICT | BLANK | CONVERTS | TO | ON
  | ASSOCIATE | DELETE | TWO_WAY | PREFER | UNLESS | DONT_SYNC | IGNORE | CLEAR
  | DEFAULT | PROPAGATE | UNLINK | WITH | VIA | LIFECYCLE | ORDER | FORWARD
  | BECOMES | THEN | FOR | OF | TEST | GIVEN | LINKED | EXPECT | NOTHING | ERROR
  | FROM
  ;

// ---- lexer -----------------------------------------------------------------
BOTH  : '<->' ;
TO_HS : '->' ;
TO_SF : '<-' ;

SCHEMA : 'schema' ;  SALESFORCE : 'salesforce' ;  HUBSPOT : 'hubspot' ;
VALUES : 'values' ;  ELSE : 'else' ;  REJECT : 'reject' ;  KEEP : 'keep' ;
SYNC : 'sync' ;  MATCH : 'match' ;  SCOPE : 'scope' ;  CREATE : 'create' ;
IN : 'in' ;  ONLY : 'only' ;  WHEN : 'when' ;  CONFLICT : 'conflict' ;
BLANK : 'blank' ;  CONVERTS : 'converts' ;  TO : 'to' ;  ON : 'on' ;
ASSOCIATE : 'associate' ;  DELETE : 'delete' ;  TWO_WAY : 'two_way' ;
PREFER : 'prefer' ;  UNLESS : 'unless' ;  DONT_SYNC : 'dont_sync' ;
IGNORE : 'ignore' ;  CLEAR : 'clear' ;  DEFAULT : 'default' ;
PROPAGATE : 'propagate' ;  UNLINK : 'unlink' ;  WITH : 'with' ;  VIA : 'via' ;
LIFECYCLE : 'lifecycle' ;  ORDER : 'order' ;  FORWARD : 'forward' ;
BECOMES : 'becomes' ;  THEN : 'then' ;  FOR : 'for' ;  OF : 'of' ;
TEST : 'test' ;  GIVEN : 'given' ;  LINKED : 'linked' ;  EXPECT : 'expect' ;
NOTHING : 'nothing' ;  ERROR : 'error' ;  FROM : 'from' ;
TRUE : 'true' ;  FALSE : 'false' ;  NUL : 'null' ;

EQ : '==' ;  NE : '!=' ;  LE : '<=' ;  GE : '>=' ;  LT : '<' ;  GT : '>' ;
AND : '&&' ;  OR : '||' ;  NOT : '!' ;  QUESTION : '?' ;  COLON : ':' ;
PLUS : '+' ;  MINUS : '-' ;  STAR : '*' ;  SLASH : '/' ;  PERCENT : '%' ;
ASSIGN : '=' ;  DOT : '.' ;  COMMA : ',' ;  SEMI : ';' ;
LPAREN : '(' ;  RPAREN : ')' ;  LBRACKET : '[' ;  RBRACKET : ']' ;
LBRACE : '{' ;  RBRACE : '}' ;

fragment DIGIT : [0-9] ;
fragment HEXDIGIT : [0-9a-fA-F] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;

NUM_FLOAT
  : DIGIT+ '.' DIGIT+ EXPONENT?
  | DIGIT+ EXPONENT
  | '.' DIGIT+ EXPONENT?
  ;
NUM_UINT : (DIGIT+ | '0x' HEXDIGIT+ | '0X' HEXDIGIT+) [uU] ;
NUM_INT  : DIGIT+ | '0x' HEXDIGIT+ | '0X' HEXDIGIT+ ;

// Any backslash pair lexes; the parse layer decodes it and reports a bad
// escape in words (CEL's escapes: \a \b \f \n \r \t \v \\ \' \" \` \? \xHH
// \uHHHH \UHHHHHHHH \ooo).
fragment ESC : '\\' ~[\r\n] ;

fragment STR_BODY
  : '"""' (ESC | ~'\\')*? '"""'
  | '\'\'\'' (ESC | ~'\\')*? '\'\'\''
  | '"' (ESC | ~[\\"\n\r])* '"'
  | '\'' (ESC | ~[\\'\n\r])* '\''
  ;
fragment RAW_BODY
  : '"""' .*? '"""'
  | '\'\'\'' .*? '\'\'\''
  | '"' ~["\n\r]* '"'
  | '\'' ~['\n\r]* '\''
  ;

STRING : STR_BODY | [rR] RAW_BODY ;
BYTES  : [bB] (STR_BODY | [rR] RAW_BODY) | [rR] [bB] RAW_BODY ;

IDENT : [_a-zA-Z] [_a-zA-Z0-9]* ;
QUOTED_IDENT : '`' [_a-zA-Z0-9.\-/ ]+ '`' ;

LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS : [ \t\r\n\f]+ -> channel(HIDDEN) ;

// Anything else is one bad character; the parser reports it in words.
UNKNOWN_CHAR : . ;
