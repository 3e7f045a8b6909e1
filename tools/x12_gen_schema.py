#!/usr/bin/env python3
"""x12_gen_schema.py — turn the pyx12 XML maps into C tables.

Usage: tools/x12_gen_schema.py [MAPS_DIR] > src/x12/x12_schema_data.c

Reads data/x12/pyx12-maps (BSD-3-Clause, see LICENSE.txt there) and the
openrcm-authored maps in data/x12/maps (270/271 X279A1, 276 X212; same XML
format, see data/x12/PROVENANCE.md), and writes the
declarative schema the validator walks: nodes (loops and segments), elements
with type/length/usage/repeat, ID code lists, syntax rules and the external
code sets of codes.xml. The output is committed (see docs/x12/schema.md for
why); the CTest `x12/schema_up_to_date` re-runs this script and fails when the
committed file differs.

Each loop is defined once: identical subtrees (e.g. the 837 2300 loop under
2000B and under 2000C) are emitted a single time and shared. Wrapper loops
(HEADER/DETAIL/FOOTER) are flattened into the transaction set.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MAPS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'data', 'x12', 'pyx12-maps')
# openrcm's own maps (not from pyx12): next to pyx12-maps
OWN_MAPS = os.path.join(os.path.dirname(MAPS.rstrip('/')), 'maps')

# (file, st01, guide, version, name)
TX = [
    ('837.5010.X222.A1.xml', '837', 'X222', '005010X222A1', 'Health Care Claim: Professional'),
    ('837Q3.I.5010.X223.A1.xml', '837', 'X223', '005010X223A2', 'Health Care Claim: Institutional'),
    ('835.5010.X221.A1.xml', '835', 'X221', '005010X221A1', 'Health Care Claim Payment/Advice'),
    ('277.5010.X212.xml', '277', 'X212', '005010X212', 'Health Care Claim Status Response'),
    ('277.5010.X214.xml', '277', 'X214', '005010X214', 'Health Care Claim Acknowledgment (277CA)'),
    ('999.5010X231.A1.xml', '999', 'X231', '005010X231A1', 'Implementation Acknowledgment'),
]
# Same shape, read from OWN_MAPS (written by openrcm, data/x12/PROVENANCE.md)
OWN_TX = [
    ('270.5010.X279.A1.xml', '270', 'X279', '005010X279A1', 'Health Care Eligibility Benefit Inquiry'),
    ('271.5010.X279.A1.xml', '271', 'X279', '005010X279A1', 'Health Care Eligibility Benefit Response'),
    ('276.5010.X212.xml', '276', 'X212', '005010X212', 'Health Care Claim Status Request'),
]

TYPES = {'AN': 'X12_AN', 'ID': 'X12_ID', 'DT': 'X12_DT', 'TM': 'X12_TM', 'N0': 'X12_N0',
         'N1': 'X12_N1', 'N2': 'X12_N2', 'N3': 'X12_N3', 'N4': 'X12_N4', 'R': 'X12_R',
         'B': 'X12_B', 'N': 'X12_N0'}


CODESETS = os.path.join(os.path.dirname(MAPS.rstrip('/')), 'codesets')
# (code set id, file in data/x12/codesets, version label)
CODESET_FILES = [
    ('carc', 'carc.txt', 'CARC codes, candid-ruby SDK 2026-08'),
    ('remark_code', 'rarc.txt', 'RARC codes, candid-ruby SDK 2026-08'),
    ('pos', 'pos.txt', 'CMS place of service, arkrvu 2024-2026'),
    ('taxonomy', 'taxonomy.txt', 'NUCC taxonomy v25.1 (2025-07-01)'),
]
# Elements checked against an external set although the maps give none:
# CARC (data element 1034) and the provider taxonomy code PRV03.
EXTERNAL_BY_DATA_ELE = {'1034': 'carc'}
EXTERNAL_BY_XID = {'PRV03': 'taxonomy'}

# Map fix-ups, each documented in docs/x12/schema.md:
# - 277.5010.X212.xml puts SE in a wrapper loop under GS_LOOP instead of at the
#   end of ST_LOOP: SE is moved to the end of the transaction set.
# - ST03 also accepts later errata versions seen in real traffic.
ST03_ALIASES = {'005010X223A2': ['005010X223A3'], '005010X222A1': ['005010X222A2']}


def fix_se(root, st):
    for parent in root.iter():
        for c in list(parent):
            if c.tag == 'segment' and c.get('xid') == 'SE' and parent is not st:
                parent.remove(c)
                st.append(c)
                return


def cstr(s):
    if s is None:
        return 'NULL'
    s = ' '.join(s.split())
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def repeat_of(text):
    text = (text or '1').strip()
    if text.startswith('>'):
        return 0
    return int(text)


class Gen:
    def __init__(self):
        root = ET.parse(os.path.join(MAPS, 'dataele.xml')).getroot()
        self.dict = {d.get('ele_num'): d for d in root}
        # elements the openrcm maps use that pyx12's dictionary lacks
        own = ET.parse(os.path.join(OWN_MAPS, 'dataele.xml')).getroot()
        self.dict.update({d.get('ele_num'): d for d in own})
        self.codes = []          # flat pool
        self.code_ranges = {}    # tuple(sorted codes) -> first
        self.elems = []          # rendered element tuples
        self.elem_keys = {}
        self.rules = []
        self.rule_ranges = {}
        self.nodes = []
        self.node_keys = {}
        self.children = []
        self.codesets = []
        self.codeset_idx = {}
        croot = ET.parse(os.path.join(MAPS, 'codes.xml')).getroot()
        sets = {}
        for cs in croot.findall('codeset'):
            cid = cs.findtext('id')
            sets[cid] = (sorted({c.text.strip() for c in cs.iter('code') if c.text}),
                         'pyx12 codes.xml')
        # newer lists from data/x12/codesets replace or add to pyx12's
        # (see data/x12/PROVENANCE.md for sources and versions)
        for cid, fname, version in CODESET_FILES:
            path = os.path.join(CODESETS, fname)
            with open(path, encoding='utf-8') as f:
                vals = sorted({line.strip() for line in f if line.strip()})
            sets[cid] = (vals, version)
        for cid in sorted(sets):
            vals, version = sets[cid]
            first, n = self.code_pool(vals)
            self.codeset_idx[cid] = len(self.codesets)
            self.codesets.append((cid, first, n, version))

    def code_pool(self, vals):
        key = tuple(vals)
        if key not in self.code_ranges:
            self.code_ranges[key] = len(self.codes)
            self.codes.extend(vals)
        return self.code_ranges[key], len(vals)

    def rule_pool(self, rules):
        key = tuple(rules)
        if not rules:
            return 0, 0
        if key not in self.rule_ranges:
            self.rule_ranges[key] = len(self.rules)
            self.rules.extend(rules)
        return self.rule_ranges[key], len(rules)

    def elem(self, e, comps=None):
        """Render one element/composite; returns its tuple (not yet placed)."""
        de = (e.findtext('data_ele') or '').strip()
        usage = (e.findtext('usage') or 'S').strip()
        seq = int(e.findtext('seq') or '0')
        rep = repeat_of(e.findtext('repeat'))
        codes_first, codes_n, ext = 0, 0, -1
        vc = e.find('valid_codes')
        if vc is not None:
            if vc.get('external'):
                ext = self.codeset_idx.get(vc.get('external'), -1)
            else:
                vals = sorted({c.text.strip() for c in vc.findall('code') if c.text})
                codes_first, codes_n = self.code_pool(vals)
        elif de in EXTERNAL_BY_DATA_ELE:
            ext = self.codeset_idx[EXTERNAL_BY_DATA_ELE[de]]
        elif e.get('xid') in EXTERNAL_BY_XID:
            ext = self.codeset_idx[EXTERNAL_BY_XID[e.get('xid')]]
        if comps is not None:
            typ, mn, mx = 'X12_COMPOSITE', 0, 0
        else:
            d = self.dict.get(de)
            if d is None:
                typ, mn, mx = 'X12_AN', 1, 256
            else:
                typ = TYPES.get(d.get('data_type'), 'X12_AN')
                mn, mx = int(d.get('min_len')), int(d.get('max_len'))
        pattern = 'X12_PAT_NONE'
        regex = (e.findtext('regex') or '').strip()
        if regex:
            # The maps use one form, [0-9]{n} or [0-9]{m,n}: digits only,
            # with the lengths narrowed. Refuse anything else rather than
            # ignore it.
            m = re.fullmatch(r'\[0-9\]\{(\d+)(?:,(\d+))?\}', regex)
            if not m:
                raise SystemExit('%s: unsupported regex %r' % (e.get('xid'), regex))
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            pattern, mn, mx = 'X12_PAT_DIGITS', max(mn, lo), min(mx, hi)
        return (cstr(e.get('xid')), cstr(de), cstr(e.findtext('name')), typ, usage, seq,
                mn, mx, rep, codes_first, codes_n, ext, comps, pattern)

    def place_elems(self, tuples):
        """Place a list of element tuples contiguously; returns first index."""
        # components first (they need their own contiguous block)
        rendered = []
        for t in tuples:
            comps = t[12]
            if comps is not None:
                cf = self.place_elems(comps)
                rendered.append(t[:12] + ((cf, len(comps)),) + t[13:])
            else:
                rendered.append(t[:12] + ((0, 0),) + t[13:])
        key = tuple(rendered)
        if key in self.elem_keys:
            return self.elem_keys[key]
        first = len(self.elems)
        self.elems.extend(rendered)
        self.elem_keys[key] = first
        return first

    def segment(self, s):
        tuples = []
        for c in s:
            if c.tag == 'element':
                tuples.append(self.elem(c))
            elif c.tag == 'composite':
                comps = [self.elem(x) for x in c.findall('element')]
                tuples.append(self.elem(c, comps))
        tuples.sort(key=lambda t: t[5])
        first = self.place_elems(tuples) if tuples else 0
        rf, rn = self.rule_pool([x.text.strip() for x in s.findall('syntax')])
        qual = -1
        sid = s.get('xid')
        cand = [2] if sid == 'HL' else [0]
        for i in cand:
            if i < len(tuples):
                t = tuples[i]
                if t[10] > 0 and t[4] == 'R':
                    qual = i
                elif t[12] and t[12][0][10] > 0 and t[4] == 'R':
                    qual = i
        period = -1
        for i in range(1, len(tuples)):
            if tuples[i][1] == '"1251"' and tuples[i - 1][1] == '"1250"':
                period = i
                break
        node = ('X12_NODE_SEGMENT', cstr(sid), cstr(s.findtext('name')),
                (), (first, len(tuples)), (rf, rn), qual, period)
        return (self.place_node(node), (s.findtext('usage') or 'S').strip(),
                repeat_of(s.findtext('max_use')))

    def loop_children(self, lp):
        out = []
        for c in lp:
            if c.tag == 'segment':
                out.append(self.segment(c))
            elif c.tag == 'loop':
                if c.get('type') == 'wrapper':
                    out.extend(self.loop_children(c))
                else:
                    out.append(self.loop(c))
        return out

    def loop(self, lp):
        kids = self.loop_children(lp)
        node = ('X12_NODE_LOOP', cstr(lp.get('xid')), cstr(lp.findtext('name')),
                tuple(kids), (0, 0), (0, 0), -1, -1)
        return (self.place_node(node), (lp.findtext('usage') or 'S').strip(),
                repeat_of(lp.findtext('repeat')))

    def place_node(self, node):
        if node in self.node_keys:
            return self.node_keys[node]
        idx = len(self.nodes)
        self.nodes.append(node)
        self.node_keys[node] = idx
        return idx

    def emit(self):
        tx = []
        for mdir, (fname, st01, guide, version, name) in (
                [(MAPS, t) for t in TX] + [(OWN_MAPS, t) for t in OWN_TX]):
            root = ET.parse(os.path.join(mdir, fname)).getroot()
            st = root.find(".//loop[@xid='ST_LOOP']")
            fix_se(root, st)
            extra = ST03_ALIASES.get(version)
            if extra:
                for e in st.find('segment').findall('element'):
                    if e.get('xid') == 'ST03':
                        vc = e.find('valid_codes')
                        if vc is None:
                            vc = ET.SubElement(e, 'valid_codes')
                        have = {c.text for c in vc.findall('code')}
                        for code in [version] + extra:
                            if code in have:
                                continue
                            ET.SubElement(vc, 'code').text = code
            tx.append((st01, guide, version, name, self.loop(st)[0]))
        o = []
        o.append('/*\n * x12_schema_data.c — GENERATED by tools/x12_gen_schema.py from the pyx12\n'
                 ' * maps in data/x12/pyx12-maps (BSD-3-Clause, Copyright John Holland; see\n'
                 ' * data/x12/pyx12-maps/LICENSE.txt) and the openrcm-authored maps in\n'
                 ' * data/x12/maps (270/271, 276). Do not edit: change the generator.\n */')
        o.append('#include <stddef.h>\n\n#include "x12/x12_int.h"\n')
        o.append('const char *const x12_codes[] = {')
        line = '   '
        for c in self.codes:
            piece = ' ' + cstr(c) + ','
            if len(line) + len(piece) > 78:
                o.append(line)
                line = '   '
            line += piece
        o.append(line + ' NULL,\n};\n')
        o.append('const char *const x12_rules[] = {')
        for r in self.rules:
            o.append('    ' + cstr(r) + ',')
        o.append('    NULL,\n};\n')
        o.append('const struct x12_elem x12_elems[] = {')
        for e in self.elems:
            (xid, de, name, typ, usage, seq, mn, mx, rep, cf, cn, ext, comp, pat) = e
            o.append('    {%s, %s, %s, %s, \'%s\', %d, %d, %d, %d, %d, %d, %d, %d, %d, %s},'
                     % (xid, de, name, typ, usage, seq, mn, mx, rep, cf, cn, ext, comp[0], comp[1],
                        pat))
        o.append('};\n')
        # children
        child_first = []
        for n in self.nodes:
            if n[0] == 'X12_NODE_LOOP':
                child_first.append(len(self.children))
                self.children.extend(n[3])
            else:
                child_first.append(0)
        def key_of(idx):
            node = self.nodes[idx]
            while node[0] == 'X12_NODE_LOOP':
                node = self.nodes[node[3][0][0]]
            raw = node[1].strip('"').encode()[:4].ljust(4, b'\0')
            return int.from_bytes(raw, 'little')
        o.append('/* idkey of each child (a loop: of its first segment), for fast scans */')
        o.append('const uint32_t x12_child_keys[] = {')
        keys = [key_of(c[0]) for c in self.children]
        for i in range(0, len(keys), 6):
            o.append('    ' + ' '.join('0x%08xu,' % k for k in keys[i:i + 6]))
        o.append('    0,\n};\n')
        o.append('const struct x12_child x12_children[] = {')
        for i in range(0, len(self.children), 4):
            o.append('    ' + ' '.join('{%d, \'%s\', %d},' % c for c in self.children[i:i + 4]))
        o.append('    {0, 0, 0},\n};\n')
        o.append('const struct x12_node x12_nodes[] = {')
        for i, n in enumerate(self.nodes):
            kind, nid, name, kids, el, ru, qual, period = n
            cf, cn = (child_first[i], len(kids)) if kind == 'X12_NODE_LOOP' else (0, 0)
            raw = nid.strip('"').encode()[:4].ljust(4, b'\0')
            key = int.from_bytes(raw, 'little')
            req = 0
            for j, c in enumerate(kids):
                if c[1] == 'R':
                    req |= 1 << j
            assert len(kids) <= 64
            o.append('    /* %d */ {%s, %s, %s, %d, %d, %d, %d, %d, %d, %d, %d, 0x%08xu, 0x%xull},'
                     % (i, kind, nid, name, cf, cn, el[0], el[1], ru[0], ru[1], qual,
                        period, key, req))
        o.append('};\nconst unsigned x12_n_nodes = %d;\n' % len(self.nodes))
        o.append('const struct x12_txdef x12_txdefs[] = {')
        for st01, guide, version, name, root in tx:
            o.append('    {%s, %s, %s, %s, %d},' % (cstr(st01), cstr(guide), cstr(version), cstr(name), root))
        o.append('};\nconst unsigned x12_n_txdefs = %d;\n' % len(tx))
        o.append('const struct x12_codeset x12_codesets[] = {')
        for cid, first, n, version in self.codesets:
            o.append('    {%s, %d, %d, %s},' % (cstr(cid), first, n, cstr(version)))
        o.append('};\nconst unsigned x12_n_codesets = %d;' % len(self.codesets))
        assert len(self.nodes) < 65536 and len(self.elems) < 65536 and len(self.codes) < 65536
        return '\n'.join(o) + '\n'


if __name__ == '__main__':
    sys.stdout.write(Gen().emit())
