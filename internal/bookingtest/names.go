package bookingtest

// PatientName returns a patient name that booking.Patient.Validate accepts
// (letters only: a name may hold no digit), distinct for each i ≥ 0:
// "Patient " and i written in base 26 with the letters A to Z, "Patient A"
// for 0, "Patient Z" for 25, "Patient Ba" for 26. Load tests and benchmarks
// name their many patients with it.
func PatientName(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('a' + i%26)}, b...)
		if i /= 26; i == 0 {
			break
		}
	}
	b[0] -= 'a' - 'A'
	return "Patient " + string(b)
}
