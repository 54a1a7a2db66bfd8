package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// GET /docs: the API reference, rendered once by the server from its own
// OpenAPI document. Plain HTML and the site's style sheet: it loads nothing
// from elsewhere and runs no script.

// docsView is the content of the reference page.
type docsView struct {
	Title       string
	Version     string
	Base        string
	Description []string // paragraphs
	Tags        []docsTag
	Schemas     []docsSchema
}

type docsTag struct {
	Name        string
	Description string
	Ops         []docsOp
}

type docsOp struct {
	ID          string
	Method      string
	Path        string // with the base path
	Summary     string
	Description []string
	Admin       bool // needs the admin token
	Params      []docsParam
	Body        *docsBody
	Responses   []docsResponse
}

type docsParam struct {
	Name        string
	In          string
	Required    bool
	Type        docsType
	Description string
}

type docsBody struct {
	ContentType string
	Type        docsType
	Fields      []docsField
}

type docsField struct {
	Name        string // dotted under a nested object: "patient.email"
	Type        docsType
	Required    bool
	Description string
	Rules       string // enum, lengths, bounds, pattern, default
}

type docsResponse struct {
	Status      string
	Description string
	ContentType string
	Type        docsType
}

type docsSchema struct {
	Name        string
	Description string
	Type        docsType // for a schema that is not an object
	Fields      []docsField
}

// docsType is a type written out: Prefix, then a link to the schema named
// Ref if any, else Text.
type docsType struct {
	Prefix string
	Ref    string
	Text   string
}

var docsMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// renderDocs renders the reference page from the server's OpenAPI
// document into s.docsPage, and sets s.docsETag.
func (s *Server) renderDocs() error {
	t, err := template.New("docs.html").Funcs(s.templateFuncs()).ParseFS(templateFS, "templates/docs.html")
	if err != nil {
		return fmt.Errorf("api: docs template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, s.docsView(s.api.OpenAPI())); err != nil {
		return fmt.Errorf("api: docs page: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	s.docsPage, s.docsETag = buf.Bytes(), `"`+hex.EncodeToString(sum[:hashLen/2])+`"`
	return nil
}

// docs answers GET /docs, with an ETag to revalidate it by.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	s.setPageHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", s.docsETag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.docsPage))
}

func (s *Server) docsView(doc *huma.OpenAPI) docsView {
	v := docsView{Base: s.basePath}
	if doc.Info != nil {
		v.Title, v.Version, v.Description = doc.Info.Title, doc.Info.Version, paragraphs(doc.Info.Description)
	}
	var schemas map[string]*huma.Schema
	if doc.Components != nil && doc.Components.Schemas != nil {
		schemas = doc.Components.Schemas.Map()
	}
	tags := map[string]*docsTag{}
	for _, tg := range doc.Tags {
		tags[tg.Name] = &docsTag{Name: tg.Name, Description: tg.Description}
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		item := doc.Paths[p]
		for _, m := range docsMethods {
			op := operation(item, m)
			if op == nil || op.Hidden {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if tags[tag] == nil {
				tags[tag] = &docsTag{Name: tag}
			}
			tags[tag].Ops = append(tags[tag].Ops, s.docsOp(m, p, op, schemas))
		}
	}
	for _, tg := range tags {
		if len(tg.Ops) > 0 {
			v.Tags = append(v.Tags, *tg)
		}
	}
	slices.SortFunc(v.Tags, func(a, b docsTag) int { return strings.Compare(a.Name, b.Name) })
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		sc := schemas[n]
		d := docsSchema{Name: n, Description: sc.Description}
		if sc.Type == huma.TypeObject && len(sc.Properties) > 0 {
			d.Fields = fields(sc, schemas, "", 0)
		} else {
			d.Type = typeOf(sc)
		}
		v.Schemas = append(v.Schemas, d)
	}
	return v
}

func operation(item *huma.PathItem, method string) *huma.Operation {
	switch method {
	case http.MethodGet:
		return item.Get
	case http.MethodPost:
		return item.Post
	case http.MethodPut:
		return item.Put
	case http.MethodPatch:
		return item.Patch
	case http.MethodDelete:
		return item.Delete
	}
	return nil
}

func (s *Server) docsOp(method, path string, op *huma.Operation, schemas map[string]*huma.Schema) docsOp {
	o := docsOp{
		ID:          op.OperationID,
		Method:      method,
		Path:        s.basePath + path,
		Summary:     op.Summary,
		Description: paragraphs(op.Description),
		Admin:       len(op.Security) > 0,
	}
	for _, p := range op.Parameters {
		o.Params = append(o.Params, docsParam{Name: p.Name, In: p.In, Required: p.Required, Type: typeOf(p.Schema), Description: p.Description})
	}
	if rb := op.RequestBody; rb != nil {
		if ct, mt := firstContent(rb.Content); mt != nil {
			b := &docsBody{ContentType: ct, Type: typeOf(mt.Schema)}
			if sc := resolve(mt.Schema, schemas); sc != nil && sc.Type == huma.TypeObject {
				b.Fields = fields(sc, schemas, "", 0)
			}
			o.Body = b
		}
	}
	statuses := make([]string, 0, len(op.Responses))
	for st := range op.Responses {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	for _, st := range statuses {
		r := op.Responses[st]
		d := docsResponse{Status: st, Description: r.Description}
		if ct, mt := firstContent(r.Content); mt != nil {
			d.ContentType, d.Type = ct, typeOf(mt.Schema)
		}
		o.Responses = append(o.Responses, d)
	}
	return o
}

// firstContent returns the first media type of content, in name order.
func firstContent(content map[string]*huma.MediaType) (string, *huma.MediaType) {
	var cts []string
	for ct := range content {
		cts = append(cts, ct)
	}
	if len(cts) == 0 {
		return "", nil
	}
	slices.Sort(cts)
	return cts[0], content[cts[0]]
}

// resolve returns the schema that sc refers to in schemas, or sc.
func resolve(sc *huma.Schema, schemas map[string]*huma.Schema) *huma.Schema {
	if sc != nil && sc.Ref != "" {
		return schemas[refName(sc.Ref)]
	}
	return sc
}

func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// maxFieldDepth is how many levels of nested objects fields writes out
// under their parent, as "patient.email"; deeper ones are links.
const maxFieldDepth = 1

// fields lists the properties of the object sc, in name order, with those
// of the objects it holds down to maxFieldDepth.
func fields(sc *huma.Schema, schemas map[string]*huma.Schema, prefix string, depth int) []docsField {
	names := make([]string, 0, len(sc.Properties))
	for n := range sc.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []docsField
	for _, n := range names {
		p := sc.Properties[n]
		out = append(out, docsField{
			Name:        prefix + n,
			Type:        typeOf(p),
			Required:    slices.Contains(sc.Required, n),
			Description: describe(p, schemas),
			Rules:       rules(p),
		})
		if inner := resolve(p, schemas); depth < maxFieldDepth && inner != nil && inner.Type == huma.TypeObject && len(inner.Properties) > 0 {
			out = append(out, fields(inner, schemas, prefix+n+".", depth+1)...)
		}
	}
	return out
}

// describe returns the description of p, or of the schema it refers to.
func describe(p *huma.Schema, schemas map[string]*huma.Schema) string {
	if p.Description != "" {
		return p.Description
	}
	if r := resolve(p, schemas); r != nil {
		return r.Description
	}
	return ""
}

// typeOf writes out the type of sc: "string (date-time)", "array of Slot",
// "map of integer".
func typeOf(sc *huma.Schema) docsType {
	switch {
	case sc == nil:
		return docsType{Text: "any"}
	case sc.Ref != "":
		return docsType{Ref: refName(sc.Ref)}
	case sc.Type == huma.TypeArray && sc.Items != nil:
		t := typeOf(sc.Items)
		t.Prefix = "array of " + t.Prefix
		return t
	case sc.Type == huma.TypeObject && len(sc.Properties) == 0:
		if ap, ok := sc.AdditionalProperties.(*huma.Schema); ok {
			t := typeOf(ap)
			t.Prefix = "map of " + t.Prefix
			return t
		}
	}
	text := sc.Type
	if text == "" {
		text = "any"
	}
	if sc.Format != "" {
		text += " (" + sc.Format + ")"
	}
	if sc.Nullable {
		text += " or null"
	}
	return docsType{Text: text}
}

// rules writes out the constraints of sc.
func rules(sc *huma.Schema) string {
	var r []string
	if len(sc.Enum) > 0 {
		vals := make([]string, len(sc.Enum))
		for i, e := range sc.Enum {
			vals[i] = fmt.Sprint(e)
		}
		r = append(r, "one of: "+strings.Join(vals, ", "))
	}
	if sc.MinLength != nil {
		r = append(r, fmt.Sprintf("at least %d characters", *sc.MinLength))
	}
	if sc.MaxLength != nil {
		r = append(r, fmt.Sprintf("at most %d characters", *sc.MaxLength))
	}
	if sc.Minimum != nil {
		r = append(r, fmt.Sprintf("≥ %v", *sc.Minimum))
	}
	if sc.Maximum != nil {
		r = append(r, fmt.Sprintf("≤ %v", *sc.Maximum))
	}
	if sc.MinItems != nil {
		r = append(r, fmt.Sprintf("at least %d items", *sc.MinItems))
	}
	if sc.MaxItems != nil {
		r = append(r, fmt.Sprintf("at most %d items", *sc.MaxItems))
	}
	if sc.Pattern != "" {
		r = append(r, "pattern "+sc.Pattern)
	}
	if sc.Default != nil {
		r = append(r, fmt.Sprintf("default %v", sc.Default))
	}
	return strings.Join(r, "; ")
}

// paragraphs splits text at its blank lines, and joins the lines of each
// paragraph.
func paragraphs(text string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}
