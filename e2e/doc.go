// Package e2e holds end-to-end tests that build the vlmq binary and run
// it as a child process: SIGKILL at chosen moments of pretrain, collect
// and train, then reruns, must end with the artefacts of an uninterrupted
// run. It has no code of its own.
package e2e
