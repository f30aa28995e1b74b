package miniwob

// Solvers of the email-inbox tasks (see official_expert.go). One solver
// serves them all: the request (whose email, what to do, the reply text or
// the forward address) comes from the instruction's fields on the NL
// variants and from the template instruction elsewhere; then it opens the
// sender's email (closing a wrong one first) and does the action there.
func init() {
	for _, t := range []string{"email-inbox", "email-inbox-delete", "email-inbox-forward",
		"email-inbox-important", "email-inbox-noscroll", "email-inbox-reply", "email-inbox-star-reply",
		"email-inbox-nl-turk", "email-inbox-forward-nl", "email-inbox-forward-nl-turk"} {
		addSolvers(map[string]string{t: emailInbox})
	}
}

var emailInbox = script("expert/email-inbox.js")
