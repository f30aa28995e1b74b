package env

import "strings"

// Prompt renders the text part of a turn's prompt: goal, action docs, the
// syntax with an example, and the current observation. The image is fed to
// the model separately, ahead of this text.
func Prompt(t Task, obs Observation, s Syntax) string {
	var b strings.Builder
	promptHead(&b, t, s)
	promptTail(&b, obs)
	return b.String()
}

// promptHead writes the goal, the action docs and the syntax line.
func promptHead(b *strings.Builder, t Task, s Syntax) {
	b.WriteString("Goal: ")
	b.WriteString(t.Goal)
	b.WriteString("\nActions: ")
	b.WriteString(t.Actions)
	b.WriteString("\n")
	b.WriteString(s.Describe(t.Example))
}

// promptTail writes the current observation and the reply cue.
func promptTail(b *strings.Builder, obs Observation) {
	if obs.Text != "" {
		b.WriteString("\nObservation: ")
		b.WriteString(obs.Text)
	}
	b.WriteString("\nReply:")
}
