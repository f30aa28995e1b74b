package env

import "strings"

// Prompt renders the text part of a turn's prompt: goal, action docs, the
// syntax with an example, and the current observation. The image is fed to
// the model separately, ahead of this text.
func Prompt(t Task, obs Observation, s Syntax) string {
	var b strings.Builder
	b.WriteString("Goal: ")
	b.WriteString(t.Goal)
	b.WriteString("\nActions: ")
	b.WriteString(t.Actions)
	b.WriteString("\n")
	b.WriteString(s.Describe(t.Example))
	if obs.Text != "" {
		b.WriteString("\nObservation: ")
		b.WriteString(obs.Text)
	}
	b.WriteString("\nReply:")
	return b.String()
}
