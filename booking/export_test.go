package booking

// GateWaiting returns how many Book requests wait at the gate of the
// practitioner id, for the tests of package booking_test.
func GateWaiting(s *Service, id string) int {
	g := s.gate(id)
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}
