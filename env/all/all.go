// Package all imports every env family vlmq knows, so that their init
// registers them with package env (env.Register); a program that names
// envs imports it once. It is a package of its own because the families
// import env, so env cannot import them.
package all

// A new family is one more line here.
import (
	_ "vlmq/env/babyai"
	_ "vlmq/env/cards"
	_ "vlmq/env/miniwob"
)
