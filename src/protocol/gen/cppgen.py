"""C++ code generation for Vltava's protocol schema files (see generate.py).

For each schema file `<stem>.api` it writes, into the build directory:
  <stem>.h            the structs (`<stem>_request`, `<stem>_response` or `<stem>` for messages),
                      common structs in namespace `<stem>` and the `<stem>_api` traits
  <stem>.cc           decode/encode: straight-line code per field with version checks
  <stem>_roundtrip.cc test code: fills every field present in a version, round-trips it
and, for all files together, api_table.cc (the table behind protocol/api_table.h) and
roundtrip_registry.cc (the list of round-trip functions for the test binary).
Files are rewritten only when their content changes, so Ninja rebuilds only what changed.
"""

import os
import re

import schema as sch

NS = "::vltava::protocol"

KEYWORDS = set("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq
""".split())
RESERVED_MEMBERS = {"decode", "encode", "unknown_tags"}

PRIM_CPP = {
    "bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
    "int64": "int64_t", "uint16": "uint16_t", "uint32": "uint32_t", "float64": "double",
    "uuid": NS + "::uuid", "string": "std::string", "bytes": "std::vector<std::byte>",
    "records": NS + "::records_view",
}
FIXED_SIZE = {"bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint16": 2,
              "uint32": 4, "float64": 8, "uuid": 16}


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def load_overrides(path, src_dir, errors):
    """Override table: `WIRE_TYPE FIELD_NAME CPP_TYPE [HEADER]` per line. An entry whose
    header does not exist under src_dir is skipped (its type is not written yet)."""
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except OSError as e:
        errors.append((path, 0, "cannot read: %s" % e))
        return out
    for i, raw in enumerate(lines):
        words = raw.split("#")[0].split()
        if not words:
            continue
        if len(words) not in (3, 4):
            errors.append((path, i + 1, "expected: WIRE_TYPE FIELD_NAME CPP_TYPE [HEADER]"))
            continue
        wire, name, cpp = words[:3]
        header = words[3] if len(words) == 4 else None
        base = wire[2:] if wire.startswith("[]") else wire
        if base not in sch.INT_RANGES:
            errors.append((path, i + 1, "overrides apply to integer fields, not '%s'" % wire))
            continue
        if header and src_dir and not os.path.exists(os.path.join(src_dir, header)):
            continue
        out.append((wire, name, cpp, header))
    return out


def c_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= o < 127:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def int_literal(t, v):
    lo, _ = sch.INT_RANGES[t]
    if v == lo and t == "int64":
        return "(-9223372036854775807LL - 1)"
    if t == "int64":
        return "%dLL" % v
    if t == "uint32":
        return "%dU" % v
    return "%d" % v


class Gen:
    def __init__(self, s, overrides):
        self.s = s
        self.overrides = overrides
        self.stem = s.stem()
        self.ns = self.stem if s.kind == "api" else self.stem + "_common"
        self.headers = set()
        self.counter = 0
        self.fill_ids = {}
        self.name_structs()

    # ---- names and types -------------------------------------------------------------------

    def name_structs(self):
        s = self.s
        for st in s.common:
            st.cpp_name = self.type_name(st.name, set(), None)
            st.cpp_qual = "%s::%s::%s" % (NS, self.ns, st.cpp_name)
        for kind, msg in s.messages():
            msg.cpp_name = self.stem if kind == "message" else "%s_%s" % (self.stem, kind)
            msg.cpp_qual = "%s::%s" % (NS, msg.cpp_name)
        roots = [m for _, m in s.messages()] + list(s.common)
        for st in roots:
            self.name_members(st)

    def type_name(self, name, taken, owner):
        n = sch.snake(name)
        if n in taken or n in KEYWORDS or (owner is not None and n == owner.cpp_name):
            n += "_t"
        return n

    def name_members(self, st):
        for f in st.fields:
            n = f.name
            if n in KEYWORDS or n in RESERVED_MEMBERS or n == st.cpp_name:
                n += "_"
            f.cpp = n
        taken = {f.cpp for f in st.fields}
        for f in st.fields:
            if f.struct is not None and not f.struct.common:
                inner = f.struct
                inner.cpp_name = self.type_name(inner.name, taken, st)
                inner.cpp_qual = st.cpp_qual + "::" + inner.cpp_name
                # clang decides std::optional<nested>'s default-constructibility while the
                # enclosing struct is incomplete (member initializers not parsed yet) and
                # caches "no"; a user-provided constructor makes the answer known early.
                inner.needs_ctor = f.type.kind == "struct" and f.nullable is not None
                self.name_members(inner)

    def override_for(self, f):
        t = f.type
        for wire, name, cpp, header in self.overrides:
            if name != f.name:
                continue
            if wire == str(t):
                if header:
                    self.headers.add(header)
                return cpp
        return None

    def elem_cpp(self, f, qualified):
        t = f.type
        b = t.base()
        ov = self.override_for(f)
        if ov:
            return ov
        if b.kind == "struct":
            return f.struct.cpp_qual if (qualified or f.struct.common) else f.struct.cpp_name
        return PRIM_CPP[b.name]

    def field_cpp(self, f, qualified=False):
        t = f.type
        e = self.elem_cpp(f, qualified)
        cpp = "std::vector<%s>" % e if t.kind == "array" else e
        if f.nullable is not None and not (t.kind == "prim" and t.name == "records"):
            cpp = "std::optional<%s>" % cpp
        return cpp

    def init(self, f):
        """The brace initializer of a member (its default)."""
        t = f.type
        d = f.default
        opt = f.nullable is not None and not (t.kind == "prim" and t.name == "records")
        if d is not None and d[0] == "null":
            return "{{}, true}" if t.name == "records" else "{}"
        if d is None:
            return "{std::in_place}" if opt else "{}"
        if d[0] == "int":
            if t.name == "float64":
                return "{%r}" % float(d[1])
            return "{%s}" % int_literal(t.name, d[1])
        if d[0] == "float":
            return "{%r}" % d[1]
        if d[0] == "bool":
            return "{%s}" % ("true" if d[1] else "false")
        if d[0] == "string":
            return "{%s}" % c_string(d[1])
        raise AssertionError(d)

    # ---- version conditions ----------------------------------------------------------------

    def vcond(self, v):
        """A C++ condition on `version` for versions v (None when always true)."""
        top = self.s.versions
        parts = []
        if v.lo > top.lo:
            parts.append("version >= %d" % v.lo)
        if v.hi is not None and v.hi < top.hi:
            parts.append("version <= %d" % v.hi)
        return " && ".join(parts) if parts else None

    def ncond(self, f):
        if f.nullable is None:
            return "false"
        c = self.vcond(f.nullable)
        return "(%s)" % c if c else "true"

    def compact(self, f, tagged):
        if f.flexible_none:
            return "false"
        if tagged:
            return "true"
        return "flex" if self.s.flexible is not None else "false"

    # ---- header ----------------------------------------------------------------------------

    def struct_decl(self, st, indent, top):
        p = " " * indent
        out = ["%sstruct %s {" % (p, st.cpp_name)]
        if getattr(st, "needs_ctor", False):
            out.append("%s  %s() {}  // not `= default`: see cppgen.py (clang and optional)"
                       % (p, st.cpp_name))
        for f in st.fields:
            if f.struct is not None and not f.struct.common:
                out.extend(self.struct_decl(f.struct, indent + 2, False))
                out.append("")
        for f in st.fields:
            note = []
            if f.versions.lo != self.s.versions.lo or f.versions.hi != self.s.versions.hi:
                note.append("v%s" % f.versions)
            if f.tag is not None:
                note.append("tag %d" % f.tag)
            if f.nullable is not None:
                note.append("nullable v%s" % f.nullable)
            comment = "  // " + ", ".join(note) if note else ""
            out.append("%s  %s %s%s;%s" % (p, self.field_cpp(f), f.cpp, self.init(f), comment))
        if self.s.flexible is not None:
            out.append("%s  // Tagged fields this code does not know, kept to be encoded again."
                       % p)
            out.append("%s  std::vector<%s::tagged_field> unknown_tags;" % (p, NS))
        out.append("")
        if top:
            out.append("%s  // Decodes a whole message of `version` (which must be supported)."
                       % p)
        out.append("%s  ::vltava::result<void, %s::decode_error> decode(%s::reader& r, "
                   "int16_t version);" % (p, NS, NS))
        out.append("%s  void encode(%s::writer& w, int16_t version) const;" % (p, NS))
        out.append("%s  bool operator==(const %s&) const = default;" % (p, st.cpp_name))
        out.append("%s};" % p)
        return out

    def header(self):
        s = self.s
        body = []
        if s.common:
            body.append("namespace %s {" % self.ns)
            body.append("")
            for st in s.common:
                body.extend(self.struct_decl(st, 0, False))
                body.append("")
            body.append("}  // namespace %s" % self.ns)
            body.append("")
        for _, msg in s.messages():
            body.extend(self.struct_decl(msg, 0, True))
            body.append("")
        flex = s.flexible if s.flexible is not None else -1
        if s.kind == "api":
            lis = " | ".join("listener_%s" % l for l in s.listeners) or "0"
            body += [
                "struct %s_api {" % self.stem,
                "  using request_type = %s_request;" % self.stem,
                "  using response_type = %s_response;" % self.stem,
                "  static constexpr int16_t key = %d;" % s.key,
                "  static constexpr std::string_view name = \"%s\";" % s.name,
                "  static constexpr int16_t min_version = %d;" % s.versions.lo,
                "  static constexpr int16_t max_version = %d;" % s.versions.hi,
                "  static constexpr int16_t first_flexible_version = %d;" % flex,
                "  static constexpr uint8_t listeners = %s;" % lis,
                "};",
                "",
            ]
        else:
            body += [
                "struct %s_message {" % self.stem,
                "  using type = %s;" % self.stem,
                "  static constexpr std::string_view name = \"%s\";" % s.name,
                "  static constexpr int16_t min_version = %d;" % s.versions.lo,
                "  static constexpr int16_t max_version = %d;" % s.versions.hi,
                "  static constexpr int16_t first_flexible_version = %d;" % flex,
                "};",
                "",
            ]
        incs = ["#include <cstddef>", "#include <cstdint>", "#include <optional>",
                "#include <string>", "#include <string_view>", "#include <vector>", "",
                '#include "base/result.h"', '#include "protocol/api_table.h"',
                '#include "protocol/reader.h"', '#include "protocol/wire.h"',
                '#include "protocol/writer.h"']
        incs += ['#include "%s"' % h for h in sorted(self.headers)]
        return "\n".join([
            "#pragma once",
            "",
            "// Generated by src/protocol/gen/generate.py from %s.api. Do not edit." % self.stem,
            "",
        ] + incs + ["", "namespace vltava::protocol {", ""] + body
            + ["}  // namespace vltava::protocol", ""])

    # ---- decode ----------------------------------------------------------------------------

    def decode_value(self, f, r, target, compact, p, tagged):
        """Lines that decode field f (whole value, incl. arrays) from reader r into target."""
        t = f.type
        b = t.base()
        name = c_string(f.name)
        nc = self.ncond(f)
        lines = []
        if t.kind == "array":
            min_bytes = FIXED_SIZE.get(b.name, 1) if b.kind == "prim" else 1
            lines.append("%s{" % p)
            lines.append("%s  int32_t n;" % p)
            lines.append("%s  if (!%s.read_array_length(n, %s, %s, %d)) return %s.fail(%s);"
                         % (p, r, compact, nc, min_bytes, r, name))
            q = p + "  "
            if f.nullable is not None:
                lines.append("%s  if (n < 0) {" % p)
                lines.append("%s    %s.reset();" % (p, target))
                lines.append("%s  } else {" % p)
                q = p + "    "
                lines.append("%sauto& vec = %s.emplace();" % (q, target))
            else:
                lines.append("%sauto& vec = %s;" % (q, target))
                lines.append("%svec.clear();" % q)
            lines.append("%svec.reserve(%s::initial_capacity(n));" % (q, NS))
            lines.append("%sfor (int32_t i = 0; i < n; ++i) {" % q)
            lines.extend(self.decode_elem(f, r, "vec.emplace_back()", compact, q + "  ", "i"))
            lines.append("%s}" % q)
            if f.nullable is not None:
                lines.append("%s  }" % p)
            lines.append("%s}" % p)
            return lines
        if b.kind == "struct":
            if f.nullable is not None:
                lines.append("%s{" % p)
                lines.append("%s  bool present = true;" % p)
                lines.append("%s  if (%s && !%s.read_presence(present)) return %s.fail(%s);"
                             % (p, nc, r, r, name))
                lines.append("%s  if (!present) {" % p)
                lines.append("%s    %s.reset();" % (p, target))
                lines.append("%s  } else {" % p)
                lines.extend(self.decode_elem(f, r, "%s.emplace()" % target, compact,
                                              p + "    ", None))
                lines.append("%s  }" % p)
                lines.append("%s}" % p)
                return lines
            return self.decode_elem(f, r, target, compact, p, None)
        if b.name == "string" and f.nullable is not None:
            lines.append("%sif (!%s.read_nullable_string(%s, %s, %s)) return %s.fail(%s);"
                         % (p, r, target, compact, nc, r, name))
            return lines
        if b.name == "bytes" and f.nullable is not None:
            lines.append("%sif (!%s.read_nullable_bytes(%s, %s, %s)) return %s.fail(%s);"
                         % (p, r, target, compact, nc, r, name))
            return lines
        if b.name == "records":
            lines.append("%sif (!%s.read_records(%s, %s, %s)) return %s.fail(%s);"
                         % (p, r, target, compact, nc, r, name))
            return lines
        return self.decode_elem(f, r, target, compact, p, None)

    def decode_elem(self, f, r, target, compact, p, index):
        b = f.type.base()
        name = c_string(f.name)
        if b.kind == "struct":
            nest = "%s::nest(res.error(), %s%s)" % (NS, name, ", " + index if index else "")
            return ["%sif (auto res = %s.decode(%s, version); !res) return %s;"
                    % (p, target, r, nest)]
        if b.name == "string":
            return ["%sif (!%s.read_string(%s, %s)) return %s.fail(%s);"
                    % (p, r, target, compact, r, name)]
        if b.name == "bytes":
            return ["%sif (!%s.read_bytes(%s, %s)) return %s.fail(%s);"
                    % (p, r, target, compact, r, name)]
        return ["%sif (!%s.read_fixed(%s)) return %s.fail(%s);" % (p, r, target, r, name)]

    def decode_fn(self, st, top):
        s = self.s
        out = ["auto %s::decode(%s::reader& r, int16_t version)" % (st.cpp_qual, NS),
               "    -> ::vltava::result<void, %s::decode_error> {" % NS]
        if top:
            out.append("  if (version < %d || version > %d) {" % (s.versions.lo, s.versions.hi))
            out.append("    return r.fail(\"version\", \"unsupported version\");")
            out.append("  }")
            out.append("  *this = {};")
        if s.flexible is not None:
            out.append("  const bool flex = version >= %d;" % s.flexible)
        else:
            out.append("  (void)version;")
        for f in st.fields:
            if f.tag is not None:
                continue
            c = self.vcond(f.versions)
            if c:
                out.append("  if (%s) {" % c)
                out.extend(self.decode_value(f, "r", "this->" + f.cpp, self.compact(f, False),
                                             "    ", False))
                out.append("  }")
            else:
                out.extend(self.decode_value(f, "r", "this->" + f.cpp, self.compact(f, False),
                                             "  ", False))
        if s.flexible is not None:
            out.append("  if (flex) {")
            out.append("    uint32_t tag_count;")
            out.append("    if (!r.read_tag_count(tag_count)) return r.fail(\"tagged fields\");")
            out.append("    for (uint32_t k = 0; k < tag_count; ++k) {")
            out.append("      uint32_t tag;")
            out.append("      std::span<const std::byte> value;")
            out.append("      if (!r.read_tagged_field(tag, value)) return r.fail(\"tagged fields\");")
            for f in st.fields:
                if f.tag is None:
                    continue
                c = self.vcond(f.versions)
                out.append("      if (tag == %d%s) {" % (f.tag, " && " + c if c else ""))
                out.append("        %s::reader tr(value, r.position() - value.size());" % NS)
                out.extend(self.decode_value(f, "tr", "this->" + f.cpp, "true", "        ", True))
                out.append("        if (!tr.empty()) return tr.fail(%s, \"tagged field value "
                           "longer than the field\");" % c_string(f.name))
                out.append("        continue;")
                out.append("      }")
            out.append("      this->unknown_tags.push_back({tag, std::vector<std::byte>"
                       "(value.begin(), value.end())});")
            out.append("    }")
            out.append("  }")
        out.append("  return {};")
        out.append("}")
        return out

    # ---- encode ----------------------------------------------------------------------------

    def encode_value(self, f, w, src, compact, p):
        t = f.type
        b = t.base()
        nc = self.ncond(f)
        lines = []
        if t.kind == "array":
            if f.nullable is not None:
                lines.append("%sif (%s) {" % (p, src))
                lines.append("%s  %s.write_array_length(%s->size(), %s);" % (p, w, src, compact))
                lines.append("%s  for (const auto& e : *%s) {" % (p, src))
                lines.extend(self.encode_elem(f, w, "e", compact, p + "    "))
                lines.append("%s  }" % p)
                lines.append("%s} else {" % p)
                lines.append("%s  %s.write_null_array(%s, %s);" % (p, w, compact, nc))
                lines.append("%s}" % p)
            else:
                lines.append("%s%s.write_array_length(%s.size(), %s);" % (p, w, src, compact))
                lines.append("%sfor (const auto& e : %s) {" % (p, src))
                lines.extend(self.encode_elem(f, w, "e", compact, p + "  "))
                lines.append("%s}" % p)
            return lines
        if b.kind == "struct":
            if f.nullable is not None:
                lines.append("%sif (%s) %s.write_presence(%s.has_value());" % (p, nc, w, src))
                lines.append("%sif (%s) {" % (p, src))
                lines.append("%s  %s->encode(%s, version);" % (p, src, w))
                lines.append("%s} else if (!%s) {" % (p, nc))
                lines.append("%s  %s{}.encode(%s, version);" % (p, f.struct.cpp_qual, w))
                lines.append("%s}" % p)
                return lines
            return self.encode_elem(f, w, src, compact, p)
        if b.name == "string" and f.nullable is not None:
            return ["%s%s.write_nullable_string(%s, %s, %s);" % (p, w, src, compact, nc)]
        if b.name == "bytes" and f.nullable is not None:
            return ["%s%s.write_nullable_bytes(%s, %s, %s);" % (p, w, src, compact, nc)]
        if b.name == "records":
            return ["%s%s.write_records(%s, %s, %s);" % (p, w, src, compact, nc)]
        return self.encode_elem(f, w, src, compact, p)

    def encode_elem(self, f, w, src, compact, p):
        b = f.type.base()
        if b.kind == "struct":
            return ["%s%s.encode(%s, version);" % (p, src, w)]
        if b.name == "string":
            return ["%s%s.write_string(%s, %s);" % (p, w, src, compact)]
        if b.name == "bytes":
            return ["%s%s.write_bytes(%s, %s);" % (p, w, src, compact)]
        return ["%s%s.write_fixed(%s);" % (p, w, src)]

    def encode_fn(self, st):
        s = self.s
        out = ["void %s::encode(%s::writer& w, int16_t version) const {" % (st.cpp_qual, NS)]
        if s.flexible is not None:
            out.append("  const bool flex = version >= %d;" % s.flexible)
        else:
            out.append("  (void)version;")
        for f in st.fields:
            if f.tag is not None:
                continue
            c = self.vcond(f.versions)
            if c:
                out.append("  if (%s) {" % c)
                out.extend(self.encode_value(f, "w", "this->" + f.cpp, self.compact(f, False),
                                             "    "))
                out.append("  }")
            else:
                out.extend(self.encode_value(f, "w", "this->" + f.cpp, self.compact(f, False),
                                             "  "))
        if s.flexible is not None:
            tagged = [f for f in st.fields if f.tag is not None]
            out.append("  if (flex) {")
            if not tagged:
                out.append("    w.write_tagged_fields(this->unknown_tags);")
            else:
                out.append("    std::vector<%s::tagged_field> tags;" % NS)
                for f in sorted(tagged, key=lambda f: f.tag):
                    c = self.vcond(f.versions)
                    src = "this->" + f.cpp
                    cond = "%s != decltype(%s)%s" % (src, src, self.init(f))
                    out.append("    if (%s(%s)) {" % (c + " && " if c else "", cond))
                    out.append("      %s::writer tw;" % NS)
                    out.extend(self.encode_value(f, "tw", src, "true", "      "))
                    out.append("      tags.push_back({%d, std::move(tw).take()});" % f.tag)
                    out.append("    }")
                out.append("    w.write_tagged_fields(std::move(tags), this->unknown_tags);")
            out.append("  }")
        out.append("}")
        return out

    def all_structs(self):
        """Every struct (common first, then messages), each with whether it is a message."""
        out = []

        def walk(st):
            for f in st.fields:
                if f.struct is not None and not f.struct.common:
                    out.append((f.struct, False))
                    walk(f.struct)

        for st in self.s.common:
            out.append((st, False))
            walk(st)
        for _, msg in self.s.messages():
            out.append((msg, True))
            walk(msg)
        return out

    def source(self):
        body = []
        for st, top in self.all_structs():
            body.extend(self.decode_fn(st, top))
            body.append("")
            body.extend(self.encode_fn(st))
            body.append("")
        return "\n".join([
            "// Generated by src/protocol/gen/generate.py from %s.api. Do not edit." % self.stem,
            "",
            '#include "protocol/generated/%s.h"' % self.stem,
            "",
            "#include <utility>",
            "",
        ] + body)

    # ---- round-trip test code --------------------------------------------------------------

    def next_value(self, avoid=None):
        self.counter += 1
        v = 1 + self.counter % 97
        if avoid is not None and v == avoid:
            v += 1
        return v

    def fill_elem(self, f, ref, p):
        """Lines giving element/value `ref` of field f a non-default value."""
        b = f.type.base()
        d = f.default
        if b.kind == "struct":
            return ["%sfill_%d(%s, version, variant);" % (p, self.fill_ids[id(f.struct)], ref)]
        n = b.name
        if n == "bool":
            val = "false" if d is not None and d[0] == "bool" and d[1] else "true"
            return ["%s%s = %s;" % (p, ref, val)]
        if n == "float64":
            return ["%s%s = %d.5;" % (p, ref, self.next_value())]
        if n in sch.INT_RANGES:
            avoid = d[1] if d is not None and d[0] == "int" else 0
            v = self.next_value(avoid)
            return ["%s%s = make<std::decay_t<decltype(%s)>>(%d);" % (p, ref, ref, v)]
        if n == "uuid":
            v = self.next_value()
            return ["%s%s.bytes[0] = std::byte{%d};" % (p, ref, v),
                    "%s%s.bytes[15] = std::byte{%d};" % (p, ref, v + 1)]
        if n == "string":
            return ["%s%s = std::string(\"s%d\");" % (p, ref, self.next_value())]
        if n == "bytes":
            v = self.next_value()
            return ["%s%s = std::vector<std::byte>{std::byte{%d}, std::byte{%d}};"
                    % (p, ref, v, v + 1)]
        if n == "records":
            return ["%s%s = %s::records_view{sample_records(), false};" % (p, ref, NS)]
        raise AssertionError(n)

    def fill_field(self, f, p):
        t = f.type
        ref = "x." + f.cpp
        lines = []
        c = self.vcond(f.versions)
        lines.append("%sif (%s) {" % (p, c or "true"))
        q = p + "  "
        if f.nullable is not None:
            lines.append("%sif (variant == 1 && %s) {" % (q, self.ncond(f)))
            if t.kind == "prim" and t.name == "records":
                lines.append("%s  %s = %s::records_view{{}, true};" % (q, ref, NS))
            else:
                lines.append("%s  %s.reset();" % (q, ref))
            lines.append("%s} else {" % q)
            q2 = q + "  "
            if t.kind == "prim" and t.name == "records":
                lines.extend(self.fill_elem(f, ref, q2))
            else:
                lines.append("%sauto& val = %s.emplace();" % (q2, ref))
                lines.extend(self.fill_value(f, "val", q2))
            lines.append("%s}" % q)
        else:
            lines.extend(self.fill_value(f, ref, q))
        lines.append("%s}" % p)
        return lines

    def fill_value(self, f, ref, p):
        if f.type.kind == "array":
            lines = ["%s%s.resize(2);" % (p, ref)]
            lines.extend(self.fill_elem(f, ref + "[0]", p))
            lines.extend(self.fill_elem(f, ref + "[1]", p))
            return lines
        return self.fill_elem(f, ref, p)

    def roundtrip(self):
        s = self.s
        structs = self.all_structs()
        for i, (st, _) in enumerate(structs):
            self.fill_ids[id(st)] = i
        decls = []
        defs = []
        for st, top in structs:
            i = self.fill_ids[id(st)]
            sig = "void fill_%d(%s& x, int16_t version, int variant)" % (i, st.cpp_qual)
            decls.append(sig + ";")
            body = [sig + " {", "  (void)version;", "  (void)variant;"]
            for f in st.fields:
                body.extend(self.fill_field(f, "  "))
            if top and s.flexible is not None:
                body.append("  if (version >= %d) {" % s.flexible)
                body.append("    x.unknown_tags.push_back({1000, {std::byte{1}, std::byte{2}}});")
                body.append("  }")
            body.append("}")
            defs.extend(body)
            defs.append("")
        msgs = []
        for kind, msg in s.messages():
            msgs.append((kind, msg))
        run = ["std::string roundtrip_%s() {" % self.stem,
               "  std::string errors;",
               "  for (int16_t version = %d; version <= %d; ++version) {"
               % (s.versions.lo, s.versions.hi),
               "    for (int variant = 0; variant < 2; ++variant) {"]
        for kind, msg in msgs:
            run += ["      {",
                    "        %s m;" % msg.cpp_qual,
                    "        fill_%d(m, version, variant);" % self.fill_ids[id(msg)],
                    "        errors += check_roundtrip(m, \"%s\", version, variant);" % kind,
                    "      }"]
        run += ["    }", "  }", "  return errors;", "}"]
        return "\n".join([
            "// Generated by src/protocol/gen/generate.py from %s.api. Do not edit." % self.stem,
            "",
            '#include "protocol/generated/%s.h"' % self.stem,
            '#include "protocol/roundtrip_check.h"',
            "",
            "namespace vltava::protocol::testing {",
            "namespace {",
            "",
        ] + decls + [""] + defs + ["}  // namespace", ""] + run + [
            "", "}  // namespace vltava::protocol::testing", ""])


def write_schema(s, overrides, out_dir):
    g = Gen(s, overrides)
    src = g.source()  # before header(): collects override headers
    rt = g.roundtrip()
    hdr = g.header()
    gen_dir = os.path.join(out_dir, "protocol", "generated")
    os.makedirs(gen_dir, exist_ok=True)
    write_if_changed(os.path.join(gen_dir, g.stem + ".h"), hdr)
    write_if_changed(os.path.join(gen_dir, g.stem + ".cc"), src)
    write_if_changed(os.path.join(gen_dir, g.stem + "_roundtrip.cc"), rt)


def write_tables(schemas, out_dir):
    gen_dir = os.path.join(out_dir, "protocol", "generated")
    os.makedirs(gen_dir, exist_ok=True)
    apis = sorted((s for s in schemas if s.kind == "api"), key=lambda s: s.key)
    rows = []
    for s in apis:
        lis = " | ".join("listener_%s" % l for l in s.listeners) or "0"
        rows.append("    {%d, \"%s\", %d, %d, %d, %s}," % (
            s.key, s.name, s.versions.lo, s.versions.hi,
            s.flexible if s.flexible is not None else -1, lis))
    table = "\n".join([
        "// Generated by src/protocol/gen/generate.py from src/protocol/schema. Do not edit.",
        "",
        '#include "protocol/api_table.h"',
        "",
        "namespace vltava::protocol {",
        "namespace {",
        "constexpr api_info apis[] = {",
    ] + rows + [
        "};",
        "}  // namespace",
        "",
        "std::span<const api_info> api_table() { return apis; }",
        "",
        "}  // namespace vltava::protocol",
        "",
    ])
    write_if_changed(os.path.join(gen_dir, "api_table.cc"), table)
    cases = []
    for s in apis:
        cases.append("    case %d:" % s.key)
        cases.append("      f.template operator()<%s_api>();" % s.stem())
        cases.append("      return true;")
    dispatch = "\n".join([
        "#pragma once",
        "",
        "// Generated by src/protocol/gen/generate.py from src/protocol/schema. Do not edit.",
        "// Includes every API's header: for the few places that dispatch on any key (the",
        "// broker's request router, the fuzzer), not for handlers of one API.",
        "",
        "#include <cstdint>",
        "",
    ] + ['#include "protocol/generated/%s.h"' % s.stem() for s in apis] + [
        "",
        "namespace vltava::protocol {",
        "",
        "// Calls `f.template operator()<X_api>()` for the API with `key`; false if none.",
        "template <typename F>",
        "bool visit_api(int16_t key, F&& f) {",
        "  switch (key) {",
    ] + cases + [
        "    default:",
        "      return false;",
        "  }",
        "}",
        "",
        "}  // namespace vltava::protocol",
        "",
    ])
    write_if_changed(os.path.join(gen_dir, "api_dispatch.h"), dispatch)


def write_registry(schemas, out_dir):
    gen_dir = os.path.join(out_dir, "protocol", "generated")
    os.makedirs(gen_dir, exist_ok=True)
    names = sorted(s.stem() for s in schemas)
    reg = "\n".join([
        "// Generated by src/protocol/gen/generate.py. Do not edit.",
        "",
        '#include "protocol/roundtrip_check.h"',
        "",
        "namespace vltava::protocol::testing {",
        "",
    ] + ["std::string roundtrip_%s();" % n for n in names] + [
        "",
        "const std::vector<roundtrip_case>& roundtrip_cases() {",
        "  static const std::vector<roundtrip_case> cases = {",
    ] + ["      {\"%s\", &roundtrip_%s}," % (n, n) for n in names] + [
        "  };",
        "  return cases;",
        "}",
        "",
        "}  // namespace vltava::protocol::testing",
        "",
    ])
    write_if_changed(os.path.join(gen_dir, "roundtrip_registry.cc"), reg)
