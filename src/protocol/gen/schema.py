"""Parser and validator of Vltava's protocol schema files (docs/formats/protocol-schema.md).

Python 3 standard library only. parse_file() returns a Schema or raises nothing: every problem
is appended to a list of (path, line, message) so that one run reports all errors of a file.
"""

import os
import re

PRIMITIVES = {
    "bool", "int8", "int16", "int32", "int64", "uint16", "uint32", "float64", "uuid",
    "string", "bytes", "records",
}
INT_RANGES = {
    "int8": (-(1 << 7), (1 << 7) - 1),
    "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
    "uint16": (0, (1 << 16) - 1),
    "uint32": (0, (1 << 32) - 1),
}
LISTENERS = ("client", "broker", "controller")
MAX_VERSION = 32767

FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
STRUCT_NAME_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
VERSIONS_RE = re.compile(r"^(\d+)(\+|-(\d+))?$")
ATTRS = ("nullable", "tag", "default", "flexible")


class Versions:
    """An inclusive range of versions; hi None means open ("N+")."""

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi

    def resolve(self, top):
        return Versions(self.lo, top if self.hi is None else self.hi)

    def contains(self, v):
        return self.lo <= v and (self.hi is None or v <= self.hi)

    def intersect(self, other):
        lo = max(self.lo, other.lo)
        if self.hi is None:
            hi = other.hi
        elif other.hi is None:
            hi = self.hi
        else:
            hi = min(self.hi, other.hi)
        if hi is not None and hi < lo:
            return None
        return Versions(lo, hi)

    def within(self, other):
        if self.lo < other.lo:
            return False
        if other.hi is None:
            return True
        return self.hi is not None and self.hi <= other.hi

    def __str__(self):
        if self.hi is None:
            return "%d+" % self.lo
        if self.hi == self.lo:
            return "%d" % self.lo
        return "%d-%d" % (self.lo, self.hi)


def parse_versions(text):
    m = VERSIONS_RE.match(text)
    if not m:
        return None
    lo = int(m.group(1))
    if m.group(2) is None:
        return Versions(lo, lo)
    if m.group(2) == "+":
        return Versions(lo, None)
    hi = int(m.group(3))
    if hi < lo or hi > MAX_VERSION or lo > MAX_VERSION:
        return None
    return Versions(lo, hi)


class Type:
    """A field type: a primitive, a struct (by name) or an array of either."""

    def __init__(self, kind, name=None, elem=None):
        self.kind = kind  # "prim", "struct", "array"
        self.name = name  # primitive or struct name
        self.elem = elem  # element Type of an array

    def __str__(self):
        return "[]" + str(self.elem) if self.kind == "array" else self.name

    def base(self):
        """The element type of an array, the type itself otherwise."""
        return self.elem if self.kind == "array" else self

    def nullable_ok(self):
        if self.kind in ("array", "struct"):
            return True
        return self.name in ("string", "bytes", "records")


class Field:
    def __init__(self, line, name, type_, versions):
        self.line = line
        self.name = name
        self.type = type_
        self.versions = versions  # Versions, resolved against the message's max version
        self.explicit_versions = False
        self.nullable = None  # Versions or None
        self.tag = None
        self.default = None  # ("int", n) | ("bool", b) | ("null",) | ("string", s) | ("float", x)
        self.flexible_none = False
        self.struct = None  # the Struct this field declares inline (or refers to), after linking


class Struct:
    def __init__(self, line, name, common):
        self.line = line
        self.name = name
        self.common = common  # declared at top level with `struct Name`
        self.fields = []
        self.parent = None  # the Struct whose field declares this one inline


class Schema:
    def __init__(self, path):
        self.path = path
        self.kind = None  # "api" or "message"
        self.key = None
        self.name = None
        self.versions = None
        self.flexible = None  # first flexible version, or None
        self.listeners = []
        self.request = None
        self.response = None
        self.fields = None  # message files
        self.structs = {}  # every struct by name (common and inline)
        self.common = []  # common structs in file order

    def stem(self):
        return os.path.splitext(os.path.basename(self.path))[0]

    def messages(self):
        if self.kind == "api":
            return [("request", self.request), ("response", self.response)]
        return [("message", self.fields)]

    def is_flexible(self, v):
        return self.flexible is not None and v >= self.flexible


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def tokenize(text):
    """Splits a field line into tokens; a double-quoted string may hold spaces and '#'.
    Returns (tokens, error)."""
    tokens = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        if c == "#":
            break
        j = i
        while j < n and text[j] not in " \t#":
            if text[j] == '"':
                k = j + 1
                while k < n and text[k] != '"':
                    if text[k] == "\\":
                        k += 1
                    k += 1
                if k >= n:
                    return None, "unterminated string"
                j = k + 1
            else:
                j += 1
        tokens.append(text[i:j])
        i = j
    return tokens, None


def parse_default(text):
    if text == "null":
        return ("null",)
    if text in ("true", "false"):
        return ("bool", text == "true")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        out = []
        i = 0
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                out.append(body[i + 1])
                i += 2
            else:
                out.append(body[i])
                i += 1
        return ("string", "".join(out))
    try:
        return ("int", int(text, 0))
    except ValueError:
        pass
    try:
        return ("float", float(text))
    except ValueError:
        return None


class Parser:
    def __init__(self, path, errors):
        self.path = path
        self.errors = errors
        self.schema = Schema(path)

    def err(self, line, msg):
        self.errors.append((self.path, line, msg))

    def parse(self, text):
        s = self.schema
        lines = text.split("\n")
        header_done = False
        expect = ["kind", "versions", "flexible"]
        section = None  # current Struct
        stack = []  # [(level, Struct)] open structs for inline declarations
        last_field = None  # (level, Field) the previous field line
        seen_sections = set()
        for idx, raw in enumerate(lines):
            lineno = idx + 1
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                self.err(lineno, "tab in indentation (use two spaces per level)")
                continue
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            if not header_done:
                if indent != 0:
                    self.err(lineno, "header line must not be indented")
                    continue
                words = stripped.split("#")[0].split()
                if expect and expect[0] == "kind":
                    self.parse_kind(lineno, words)
                    expect.pop(0)
                    continue
                if expect and words[0] == expect[0]:
                    if words[0] == "versions":
                        self.parse_top_versions(lineno, words)
                    else:
                        self.parse_flexible(lineno, words)
                    expect.pop(0)
                    continue
                if expect:
                    self.err(lineno, "expected '%s' header line, found '%s'" % (expect[0], words[0]))
                    expect.pop(0)
                    continue
                if words[0] == "listeners":
                    self.parse_listeners(lineno, words)
                    continue
                header_done = True
            if s.versions is None:
                return s  # header broken: field checks would only add noise
            if indent == 0:
                section = self.parse_section(lineno, stripped, seen_sections)
                stack = [(0, section)] if section else []
                last_field = None
                continue
            if section is None:
                self.err(lineno, "field outside of a section (request, response, fields, struct)")
                continue
            if indent % 2 != 0:
                self.err(lineno, "bad indentation: %d spaces (use two spaces per level)" % indent)
                continue
            level = indent // 2
            # Open a new level only under a field that declares a struct inline.
            if last_field is not None and level == last_field[0] + 1:
                lf = last_field[1]
                if lf.type.base().kind != "struct":
                    self.err(lineno, "bad indentation: field '%s' of type %s has no nested fields"
                             % (lf.name, lf.type))
                    continue
                inline = self.declare_struct(lf.line, lf.type.base().name, common=False)
                inline.parent = stack[-1][1]
                lf.struct = inline
                stack.append((last_field[0], inline))
            while stack and stack[-1][0] >= level:
                stack.pop()
            if not stack or stack[-1][0] != level - 1:
                self.err(lineno, "bad indentation: level %d where at most %d is allowed"
                         % (level, (last_field[0] if last_field else 0) + 1))
                if not stack:
                    stack = [(0, section)]
                continue
            field = self.parse_field(lineno, stripped)
            if field is None:
                last_field = None
                continue
            owner = stack[-1][1]
            if any(f.name == field.name for f in owner.fields):
                self.err(lineno, "duplicate field name '%s' in %s" % (field.name, owner.name))
            owner.fields.append(field)
            last_field = (level, field)
        if not header_done and not expect:
            self.err(len(lines), "no sections")
        elif expect:
            self.err(len(lines), "incomplete header: missing '%s'" % expect[0])
        if s.kind == "api":
            for sec in ("request", "response"):
                if sec not in seen_sections:
                    self.err(len(lines), "missing '%s' section" % sec)
        elif s.kind == "message" and "fields" not in seen_sections:
            self.err(len(lines), "missing 'fields' section")
        return s

    def parse_kind(self, lineno, words):
        s = self.schema
        if words[0] == "api" and len(words) == 3:
            s.kind = "api"
            try:
                s.key = int(words[1])
            except ValueError:
                self.err(lineno, "api key must be an integer: '%s'" % words[1])
                s.key = -1
            if not 0 <= s.key <= 32767:
                self.err(lineno, "api key out of range: %s" % words[1])
            s.name = words[2]
        elif words[0] == "message" and len(words) == 2:
            s.kind = "message"
            s.name = words[1]
        else:
            self.err(lineno, "first line must be 'api KEY Name' or 'message Name'")
            s.kind = "api"
            s.name = "Invalid"
            return
        if not STRUCT_NAME_RE.match(s.name):
            self.err(lineno, "name must be CamelCase: '%s'" % s.name)
        elif s.stem().replace("_", "") != s.name.lower():
            # The C++ names come from the file name (kraft_version_record for KRaftVersionRecord).
            self.err(lineno, "file name must be %s.api for %s" % (snake(s.name), s.name))

    def parse_top_versions(self, lineno, words):
        v = parse_versions(words[1]) if len(words) == 2 else None
        if v is None or v.hi is None:
            self.err(lineno, "versions must be N or N-M: '%s'" % " ".join(words[1:]))
            return
        self.schema.versions = v

    def parse_flexible(self, lineno, words):
        s = self.schema
        if len(words) != 2:
            self.err(lineno, "flexible must be 'N+' or 'none'")
            return
        if words[1] == "none":
            s.flexible = None
            return
        m = re.match(r"^(\d+)\+$", words[1])
        if not m:
            self.err(lineno, "flexible must be 'N+' or 'none': '%s'" % words[1])
            return
        s.flexible = int(m.group(1))
        if s.versions and not s.versions.contains(s.flexible):
            self.err(lineno, "flexible %d+ outside versions %s" % (s.flexible, s.versions))

    def parse_listeners(self, lineno, words):
        s = self.schema
        if s.kind != "api":
            self.err(lineno, "listeners only in api files")
        if len(words) < 2:
            self.err(lineno, "listeners needs at least one of %s" % ", ".join(LISTENERS))
        for w in words[1:]:
            if w not in LISTENERS:
                self.err(lineno, "unknown listener '%s' (one of %s)" % (w, ", ".join(LISTENERS)))
            elif w in s.listeners:
                self.err(lineno, "listener '%s' twice" % w)
            else:
                s.listeners.append(w)

    def parse_section(self, lineno, stripped, seen):
        s = self.schema
        words = stripped.split("#")[0].split()
        kw = words[0]
        if kw == "struct":
            if len(words) != 2:
                self.err(lineno, "expected 'struct Name'")
                return None
            if not STRUCT_NAME_RE.match(words[1]):
                self.err(lineno, "struct name must be CamelCase: '%s'" % words[1])
                return None
            st = self.declare_struct(lineno, words[1], common=True)
            s.common.append(st)
            return st
        if kw in ("request", "response", "fields") and len(words) == 1:
            ok = (kw == "fields") == (s.kind == "message")
            if not ok:
                self.err(lineno, "'%s' section not allowed in a%s %s file"
                         % (kw, "n" if s.kind == "api" else "", s.kind))
                return None
            if kw in seen:
                self.err(lineno, "duplicate '%s' section" % kw)
                return None
            seen.add(kw)
            st = Struct(lineno, kw, common=False)
            setattr(s, kw, st)
            return st
        if kw == "listeners":
            self.err(lineno, "listeners must come right after the flexible line")
            return None
        self.err(lineno, "unknown section '%s' (request, response, fields or struct Name)" % kw)
        return None

    def declare_struct(self, lineno, name, common):
        s = self.schema
        st = Struct(lineno, name, common)
        if name in s.structs:
            self.err(lineno, "struct %s declared twice (first at line %d)"
                     % (name, s.structs[name].line))
        else:
            s.structs[name] = st
        return st

    def parse_type(self, lineno, text):
        if text.startswith("[]"):
            elem = self.parse_type(lineno, text[2:])
            if elem is None:
                return None
            if elem.kind == "array":
                self.err(lineno, "arrays of arrays are not supported: '%s'" % text)
                return None
            if elem.name == "records":
                self.err(lineno, "arrays of records are not supported")
                return None
            return Type("array", elem=elem)
        if text in PRIMITIVES:
            return Type("prim", name=text)
        if STRUCT_NAME_RE.match(text):
            return Type("struct", name=text)
        self.err(lineno, "unknown type '%s'" % text)
        return None

    def parse_field(self, lineno, stripped):
        s = self.schema
        tokens, terr = tokenize(stripped)
        if terr:
            self.err(lineno, terr)
            return None
        if len(tokens) < 2:
            self.err(lineno, "field needs a name and a type")
            return None
        name = tokens[0]
        if not FIELD_NAME_RE.match(name):
            self.err(lineno, "field name must be snake_case: '%s'" % name)
            return None
        type_ = self.parse_type(lineno, tokens[1])
        if type_ is None:
            return None
        rest = tokens[2:]
        versions = Versions(s.versions.lo, s.versions.hi)
        explicit = False
        if rest and "=" not in rest[0]:
            v = parse_versions(rest[0])
            if v is None:
                self.err(lineno, "bad versions '%s' (N, N+ or N-M)" % rest[0])
                return None
            if not v.resolve(s.versions.hi).within(s.versions) or (
                    v.hi is None and v.lo > s.versions.hi):
                self.err(lineno, "field versions %s outside message versions %s"
                         % (v, s.versions))
                return None
            versions = v.resolve(s.versions.hi)
            explicit = True
            rest = rest[1:]
        f = Field(lineno, name, type_, versions)
        f.explicit_versions = explicit
        seen = set()
        for tok in rest:
            if "=" not in tok:
                self.err(lineno, "unexpected '%s' (attributes are key=value)" % tok)
                continue
            key, val = tok.split("=", 1)
            if key not in ATTRS:
                self.err(lineno, "unknown attribute '%s' (one of %s)" % (key, ", ".join(ATTRS)))
                continue
            if key in seen:
                self.err(lineno, "attribute '%s' twice" % key)
                continue
            seen.add(key)
            if key == "nullable":
                v = parse_versions(val)
                if v is None:
                    self.err(lineno, "bad nullable versions '%s'" % val)
                    continue
                if not type_.nullable_ok():
                    self.err(lineno, "nullable on type %s (only string, bytes, records, arrays "
                             "and structs can be null)" % type_)
                    continue
                rv = v.resolve(s.versions.hi)
                if v.lo > s.versions.hi or not rv.within(s.versions):
                    self.err(lineno, "nullable versions %s outside message versions %s"
                             % (v, s.versions))
                    continue
                if rv.intersect(versions) is None:
                    self.err(lineno, "nullable versions %s do not overlap field versions %s"
                             % (v, versions))
                    continue
                f.nullable = rv
            elif key == "tag":
                if not re.match(r"^\d+$", val):
                    self.err(lineno, "tag must be a non-negative integer: '%s'" % val)
                    continue
                f.tag = int(val)
            elif key == "default":
                d = parse_default(val)
                if d is None:
                    self.err(lineno, "bad default '%s' (int, true/false, null or \"text\")" % val)
                    continue
                f.default = d
            elif key == "flexible":
                if val != "none":
                    self.err(lineno, "flexible= only accepts 'none'")
                    continue
                if not (type_.kind == "prim" and type_.name in ("string", "bytes")):
                    self.err(lineno, "flexible=none only applies to string and bytes fields")
                    continue
                f.flexible_none = True
        self.check_tag(f)
        self.check_default(f)
        return f

    def check_tag(self, f):
        s = self.schema
        if f.tag is None:
            return
        if s.flexible is None:
            self.err(f.line, "tagged field '%s' in a message with no flexible versions" % f.name)
            f.tag = None
            return
        if f.versions.lo < s.flexible:
            self.err(f.line, "tagged field '%s' versions %s start before the first flexible "
                     "version %d" % (f.name, f.versions, s.flexible))
        if f.flexible_none:
            self.err(f.line, "a tagged field cannot be flexible=none")

    def check_default(self, f):
        d = f.default
        if d is None:
            return
        t = f.type
        bad = None
        if d[0] == "null":
            if f.nullable is None:
                bad = "default=null on a field that is never nullable"
        elif t.kind == "array":
            bad = "an array default can only be null"
        elif t.kind == "struct":
            bad = "a struct default can only be null"
        elif t.name in INT_RANGES:
            if d[0] != "int":
                bad = "default of %s must be an integer" % t.name
            else:
                lo, hi = INT_RANGES[t.name]
                if not lo <= d[1] <= hi:
                    bad = "default %d out of range for %s" % (d[1], t.name)
        elif t.name == "bool":
            if d[0] != "bool":
                bad = "default of bool must be true or false"
        elif t.name == "float64":
            if d[0] not in ("int", "float"):
                bad = "default of float64 must be a number"
        elif t.name == "string":
            if d[0] != "string":
                bad = "default of string must be \"text\" or null"
        else:
            bad = "type %s only accepts default=null" % t.name
        if bad:
            self.err(f.line, bad)
            f.default = None


def link(schema, errors):
    """Checks what needs the whole file: struct references, tags, versions of nested fields."""
    path = schema.path
    used = set()

    def walk(st, outer_versions, seen_tags_owner):
        tags = {}
        for f in st.fields:
            eff = f.versions.intersect(outer_versions) if outer_versions else f.versions
            if eff is None:
                errors.append((path, f.line, "field '%s' (versions %s) is present in no version "
                               "of its parent (%s)" % (f.name, f.versions, outer_versions)))
            if f.tag is not None:
                if f.tag in tags:
                    errors.append((path, f.line, "duplicate tag %d in %s (also '%s')"
                                   % (f.tag, st.name, tags[f.tag])))
                tags[f.tag] = f.name
            b = f.type.base()
            if b.kind != "struct":
                continue
            if f.struct is None:
                ref = schema.structs.get(b.name)
                if ref is None or not ref.common:
                    errors.append((path, f.line, "struct %s referenced but not defined "
                                   "(declare it inline under this field or with 'struct %s')"
                                   % (b.name, b.name)))
                    continue
                f.struct = ref
                used.add(ref.name)
                continue
            if not f.struct.fields:
                errors.append((path, f.line, "struct %s has no fields" % b.name))
            walk(f.struct, eff, None)

    for _, msg in schema.messages():
        if msg is not None:
            walk(msg, None, None)
    for st in schema.common:
        if not st.fields:
            errors.append((path, st.line, "struct %s has no fields" % st.name))
        walk(st, None, None)
    # Common structs referencing each other must not form a cycle (C++ needs an order).
    order = []
    state = {}

    def visit(st, chain):
        if state.get(st.name) == 2:
            return
        if state.get(st.name) == 1:
            errors.append((path, st.line, "struct %s contains itself (%s)"
                           % (st.name, " -> ".join(chain + [st.name]))))
            return
        state[st.name] = 1
        for dep in common_deps(st):
            visit(dep, chain + [st.name])
        state[st.name] = 2
        order.append(st)

    for st in schema.common:
        visit(st, [])
    schema.common = order
    for st in schema.common:
        if st.name not in used and not any(st.name in common_dep_names(o) for o in order):
            errors.append((path, st.line, "warning: struct %s is never used" % st.name))


def common_deps(st):
    out = []
    for f in st.fields:
        if f.struct is None:
            continue
        if f.struct.common:
            out.append(f.struct)
        else:
            out.extend(common_deps(f.struct))
    return out


def common_dep_names(st):
    return {d.name for d in common_deps(st)}


def parse_file(path, errors):
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        errors.append((path, 0, "cannot read: %s" % e))
        return None
    p = Parser(path, errors)
    schema = p.parse(text)
    if schema.versions is not None:
        link(schema, errors)
    return schema


def is_error(e):
    return not e[2].startswith("warning:")


def parse_all(paths, errors):
    schemas = []
    keys = {}
    for path in paths:
        s = parse_file(path, errors)
        if s is None:
            continue
        schemas.append(s)
        if s.kind == "api" and s.key is not None:
            if s.key in keys:
                errors.append((path, 1, "api key %d also used by %s" % (s.key, keys[s.key])))
            keys[s.key] = path
    return schemas
