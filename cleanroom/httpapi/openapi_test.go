package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"
)

// spec is the embedded description, loaded once and validated as an
// OpenAPI 3.1 document.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiJSON)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// checkSpec validates a real response against the description of its
// route: the status must be listed, and headers and body must match.
func checkSpec(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if err := specError(req, rec); err != nil {
		t.Errorf("%s %s -> %d: %v", req.Method, req.URL.Path, rec.Code, err)
	}
}

// specError checks a response against openapi.json. Requests that match no
// route have nothing to check if they got the router's 404.
func specError(req *http.Request, rec *httptest.ResponseRecorder) error {
	router, err := specRouter()
	if err != nil {
		return fmt.Errorf("openapi.json: %w", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		if rec.Code == http.StatusNotFound {
			return nil
		}
		return fmt.Errorf("not in openapi.json: %w", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(rec.Body.Bytes())
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// TestSpecCheckCanFail makes sure the validation above has teeth: bodies
// and statuses the description does not allow are reported.
func TestSpecCheckCanFail(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodGet, "/v1/sessions/s1", nil)
	req.Header.Set("Authorization", "Bearer "+e.token("acme"))
	good := httptest.NewRecorder()
	e.h.ServeHTTP(good, req.Clone(req.Context()))
	if err := specError(req, good); err != nil {
		t.Fatalf("genuine response rejected: %v", err)
	}
	tamper := func(status int, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(status)
		rec.WriteString(body)
		return rec
	}
	withExtra := strings.Replace(good.Body.String(), `"id":`, `"secret_field":1,"id":`, 1)
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"undocumented field":      tamper(200, withExtra),
		"missing field":           tamper(200, `{"id":"s1"}`),
		"undocumented status":     tamper(http.StatusTeapot, `{"error":{"code":"internal","message":"x"}}`),
		"error with unknown code": tamper(404, `{"error":{"code":"nope","message":"x"}}`),
		"error without message":   tamper(404, `{"error":{"code":"not_found"}}`),
	} {
		if specError(req, rec) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestOpenAPIIsValid31(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json declares %q, want 3.1", doc.OpenAPI)
	}
}

var ginParam = regexp.MustCompile(`:([a-z]+)`)

// TestOpenAPIMatchesRouter checks that every route the router serves is
// described and every described operation is served.
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	e := newEnv(t)
	var served []string
	for _, r := range e.h.(*gin.Engine).Routes() {
		served = append(served, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(described)
	slices.Sort(served)
	for _, s := range served {
		if !slices.Contains(described, s) {
			t.Errorf("%s is served but not described", s)
		}
	}
	for _, d := range described {
		if !slices.Contains(served, d) {
			t.Errorf("%s is described but not served", d)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	rec := e.do(httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(openapiJSON) {
		t.Fatalf("GET /openapi.json: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// described reports whether openapi.json lists status for the operation
// that serves method and path.
func described(t *testing.T, method, path string, status int) bool {
	t.Helper()
	router, err := specRouter()
	if err != nil {
		t.Fatal(err)
	}
	route, _, err := router.FindRoute(httptest.NewRequest(method, path, nil))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return route.Operation.Responses.Status(status) != nil
}
