package experiment

import (
	"vlmq/env"
	_ "vlmq/env/all" // every env family: the jobs name envs by string
)

// OpenEnvs builds n instances of each named env; callers Close them.
func OpenEnvs(names []string, n int, o env.Options) ([]env.Env, error) {
	var out []env.Env
	for _, name := range names {
		for i := 0; i < n; i++ {
			e, err := env.New(name, o)
			if err != nil {
				CloseEnvs(out)
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// CloseEnvs closes every env, ignoring errors (used on cleanup paths).
func CloseEnvs(es []env.Env) {
	for _, e := range es {
		_ = e.Close()
	}
}
