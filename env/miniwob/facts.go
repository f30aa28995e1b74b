// Facts: questions and answers about the current view and the page's
// ground truth, for pretraining.

package miniwob

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"vlmq/env"
)

// Facts states what is visible in the current view.
func (e *Env) Facts() []env.QA {
	var buttons, fields []string
	focus := "none"
	for _, el := range e.view.Elements {
		switch el.Tag {
		case "button", "input_button", "input_submit":
			buttons = append(buttons, strconv.Quote(el.Text))
		case "input_text", "input_password", "textarea":
			fields = append(fields, "#"+el.ID)
		}
		if el.Focused {
			focus = "#" + el.ID
		}
	}
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "none"
		}
		return strings.Join(xs, ", ")
	}
	qa := []env.QA{
		{Question: "What does the instruction say?", Answer: e.view.Instruction},
		{Question: "What buttons are visible?", Answer: list(buttons)},
		{Question: "Which text fields are visible?", Answer: list(fields)},
		{Question: "Which element has the focus?", Answer: focus},
		{Question: "How many elements are listed?", Answer: strconv.Itoa(min(len(e.view.Elements), e.opts.MaxElements))},
	}
	// Which element carries a label, and where it is: what an agent needs
	// to click the right thing (asked only of labels that name one element).
	labels := map[string]int{}
	for _, el := range e.view.Elements {
		labels[el.Text]++
	}
	for _, el := range e.view.Elements {
		if t := strings.TrimSpace(el.Text); t != "" && len(t) <= 40 && labels[el.Text] == 1 {
			qa = append(qa,
				env.QA{Question: fmt.Sprintf("Which element says %q?", t), Answer: "#" + el.ID},
				env.QA{Question: fmt.Sprintf("Where is the centre of %q?", t), Answer: fmt.Sprintf("%d,%d", el.X+el.W/2, el.Y+el.H/2)})
		}
		if el.Value != nil {
			v := *el.Value
			if v == "" {
				v = "nothing"
			}
			qa = append(qa, env.QA{Question: fmt.Sprintf("What does #%s hold?", el.ID), Answer: v})
		}
		if el.Checked != nil {
			qa = append(qa, env.QA{Question: fmt.Sprintf("Is #%s checked?", el.ID), Answer: yesNo(*el.Checked)})
		}
		if t := strings.TrimSpace(el.Text); t == "" || len(t) > 40 || labels[el.Text] != 1 {
			// Elements without a label of their own (text fields, boxes)
			// are found by their ref.
			qa = append(qa, env.QA{Question: fmt.Sprintf("Where is the centre of #%s?", el.ID), Answer: fmt.Sprintf("%d,%d", el.X+el.W/2, el.Y+el.H/2)})
		}
	}
	return append(qa, e.instructionFacts()...)
}

// instructionFacts asks what the instruction says to copy or act on: each
// quoted text, word for word; the element (or, in click-checkboxes, the
// elements) it names, when listed; and for our typing tasks, what each
// field should hold. Our pages name their targets in their ground truth
// (read once per episode); on MiniWoB++ pages the named element is the one
// listed element whose text is the instruction's only quoted text.
func (e *Env) instructionFacts() []env.QA {
	var qa []env.QA
	quotes := instructionQuotes(e.view.Instruction)
	for i, q := range quotes {
		qa = append(qa, env.QA{Question: fmt.Sprintf("What does quote %d of the instruction say?", i+1), Answer: q})
	}
	byDOM := map[string]string{} // DOM id to the ref actions use
	for _, el := range e.view.Elements {
		if el.DOMID != "" {
			byDOM[el.DOMID] = "#" + el.ID
		}
	}
	if e.proto != protoWob {
		if len(quotes) == 1 {
			var named []string
			for _, el := range e.view.Elements {
				if strings.TrimSpace(el.Text) == quotes[0] {
					named = append(named, "#"+el.ID)
				}
			}
			if len(named) == 1 {
				qa = append(qa, env.QA{Question: "Which element does the instruction name?", Answer: named[0]})
			}
		}
		return qa
	}
	truth, err := e.episodeTruth()
	if err != nil {
		// The page could not say (its browser failed twice): the view
		// keeps its other facts.
		return qa
	}
	if id, _ := truth["id"].(string); byDOM[id] != "" {
		qa = append(qa, env.QA{Question: "Which element does the instruction name?", Answer: byDOM[id]})
	}
	if ids, ok := truth["ids"].([]any); ok {
		var named []string
		for _, id := range ids {
			s, _ := id.(string)
			if byDOM[s] == "" {
				named = nil // not all listed: the answer is not in view
				break
			}
			named = append(named, byDOM[s])
		}
		if len(named) == len(ids) {
			a := "none"
			if len(named) > 0 {
				a = strings.Join(named, ", ")
			}
			qa = append(qa, env.QA{Question: "Which elements does the instruction name?", Answer: a})
		}
	}
	if fields, _, ok := typedFields(e.task, truth); ok {
		for _, f := range fields {
			if ref := byDOM[f[0]]; ref != "" && f[1] != "" {
				qa = append(qa, env.QA{Question: fmt.Sprintf("What should you type into %s?", ref), Answer: f[1]})
			}
		}
	}
	return qa
}

// episodeTruth is the page's ground truth, read once per episode.
func (e *Env) episodeTruth() (map[string]any, error) {
	if e.truthEpisode == e.episode && e.truthCache != nil {
		return e.truthCache, nil
	}
	t, err := e.truth()
	if err != nil {
		return nil, err
	}
	e.truthCache, e.truthEpisode = t, e.episode
	return t, nil
}

// instructionQuotes are the non-empty texts between double quotes in an
// instruction, in order.
func instructionQuotes(ins string) []string {
	var out []string
	for _, m := range quoteRe.FindAllStringSubmatch(ins, -1) {
		if t := strings.TrimSpace(m[1]); t != "" {
			out = append(out, t)
		}
	}
	return out
}

var quoteRe = regexp.MustCompile(`"([^"]*)"`)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// truth returns the page's ground truth for experts (our suite only).
func (e *Env) truth() (map[string]any, error) {
	if e.proto != protoWob {
		return nil, fmt.Errorf("miniwob: no ground truth for external task %s", e.task)
	}
	var raw string
	err := e.do(func(ctx context.Context) error {
		var err error
		raw, err = eval[string](ctx, `JSON.stringify(wob.truth())`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("miniwob: read ground truth: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("miniwob: ground truth %q: %w", raw, err)
	}
	return m, nil
}
