package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestAdminFailedMessages(t *testing.T) {
	e := newAdminEnv(t, nil)
	id, _ := e.bookFor(slotStart, 1)
	// The confirmation; its reminder waits for its time.
	outbox := e.store.Outbox()
	if len(outbox) != 2 || outbox[0].Message.Kind != "created" || outbox[1].Message.Kind != "reminder" {
		t.Fatalf("outbox holds %d messages, want the confirmation and a reminder", len(outbox))
	}
	if err := e.store.OutboxFailed(context.Background(), outbox[0].Message.ID, testNow, "invalid: notify: the mail server refused the message for good"); err != nil {
		t.Fatal(err)
	}
	w := e.admin(http.MethodGet, "/v1/admin/messages/failed?since=2026-01-01T00:00:00Z", "")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got := decode(t, w)["messages"].([]any)
	if len(got) != 1 {
		t.Fatalf("messages = %v", got)
	}
	m := got[0].(map[string]any)
	if m["booking"] != id || m["kind"] != "created" || m["recipient"] != "patient" || !strings.Contains(m["reason"].(string), "for good") {
		t.Errorf("message = %v", m)
	}
	if strings.Contains(w.Body.String(), patientEmail) || strings.Contains(w.Body.String(), patientName) {
		t.Errorf("the list holds patient data: %s", w.Body)
	}
	if w := e.do(http.MethodGet, "/v1/admin/messages/failed", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("without the token: %d", w.Code)
	}
}
