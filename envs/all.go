package envs

// The env families vlmq knows. Each registers itself in its init; a new
// family is one more line here.
import (
	_ "vlmq/env/babyai"
	_ "vlmq/env/cards"
	_ "vlmq/env/miniwob"
)
