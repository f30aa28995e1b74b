// Package cli is the vlmq command line: collect, pretrain, train, eval,
// demo and envs, each a thin layer over package experiment.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"vlmq/env"
)

// Exit codes of Main.
const (
	exitOK          = 0
	exitError       = 1
	exitInterrupted = 130 // 128 + SIGINT, as shells report a Ctrl-C
)

// interruptedMsg is what an interrupted command prints: every command
// keeps what it finished (dataset shards, checkpoints) and resumes on a
// rerun with the same flags.
const interruptedMsg = "vlmq: interrupted; what was finished is kept: rerun the same command to resume"

// interrupted is an interruption whose command says itself what it kept
// (the general interruptedMsg would promise a resume).
type interrupted struct{ msg string }

func (e interrupted) Error() string { return e.msg }
func (interrupted) Unwrap() error   { return context.Canceled }

// Main runs the CLI and returns the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// Commands stop at their next look at ctx, but a phase that has
		// none (a browser page that never loads, a scripted evaluation)
		// must not hold the process: every output is written atomically,
		// so exiting now is as safe as a kill.
		time.Sleep(interruptGrace)
		fmt.Fprintln(os.Stderr, "\n"+interruptedMsg)
		os.Exit(exitInterrupted)
	}()
	return execute(ctx, args, os.Stdout, os.Stderr)
}

// interruptGrace is how long an interrupted command may take to stop by
// itself before Main ends the process.
const interruptGrace = 5 * time.Second

// execute runs the command line args and reports its error on stderr.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	termBar.Store(false)
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	return report(stderr, root.ExecuteContext(ctx), termBar.Load())
}

// report prints err (if any) and returns the exit code. afterBar says a
// progress bar may be on the terminal's current line: the message then
// starts on a new line.
func report(stderr io.Writer, err error, afterBar bool) int {
	if err == nil {
		return exitOK
	}
	if afterBar {
		fmt.Fprintln(stderr)
	}
	if errors.Is(err, context.Canceled) {
		var ie interrupted
		if errors.As(err, &ie) {
			fmt.Fprintln(stderr, "vlmq:", ie.msg)
		} else {
			fmt.Fprintln(stderr, interruptedMsg)
		}
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "vlmq:", err)
	return exitError
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "vlmq",
		Short:         "Teach VLM agents an environment's rules, then improve beyond their data (offline-to-online AFSFT)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	var a rootArgs
	bind(root.PersistentFlags(), &a)
	var profFile *os.File
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if a.CPUProfile == "" {
			return nil
		}
		f, err := os.Create(a.CPUProfile)
		if err != nil {
			return err
		}
		profFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if profFile != nil {
			pprof.StopCPUProfile()
			profFile.Close()
		}
	}
	root.AddCommand(envsCmd(), pretrainCmd(), qaCmd(), collectCmd(), trainCmd(), evalCmd(), demoCmd(), probeCmd(), tableCmd(), reportCmd(), showCmd(), retrievalCmd())
	for _, c := range root.Commands() {
		// The note that a renamed flag was used goes to stderr, not into
		// the command's output.
		c.Flags().SetOutput(stderr)
	}
	return root
}

// rootArgs are the flags of every command. --cpuprofile writes a pprof
// CPU profile of the whole command (measure before optimising: go tool
// pprof -top bin/vlmq FILE).
type rootArgs struct {
	Quiet      bool   `flag:"quiet" help:"no progress bars"`
	CPUProfile string `flag:"cpuprofile" help:"write a CPU profile of the command to this file"`
}

func envsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "envs",
		Short: "List the environments",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			for _, n := range env.Names() {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
		},
	}
}

// termBar records that a progress bar was drawn on a terminal (see
// report).
var termBar atomic.Bool

// plainEvery is the least time between two progress lines when stderr is
// not a terminal; barClock is their clock (tests replace it).
var (
	plainEvery = 10 * time.Second
	barClock   = time.Now
)

// bar returns a progress bar on stderr, or a no-op when --quiet. On a
// terminal it is a bar redrawn in place; elsewhere (a log file, a pipe)
// it prints a plain line such as "pretrain 1200/6000" at most every
// plainEvery, so logs do not fill with redraws.
func bar(cmd *cobra.Command, total int, desc string) *progressbar.ProgressBar {
	if q, _ := cmd.Flags().GetBool("quiet"); q {
		return progressbar.NewOptions(total, progressbar.OptionSetWriter(io.Discard))
	}
	w := cmd.ErrOrStderr()
	if !isTerminal(w) {
		// The bar renders into plainLines, which keeps only its count.
		return progressbar.NewOptions(total,
			progressbar.OptionSetWriter(&plainLines{w: w, desc: desc}),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(10),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
		)
	}
	termBar.Store(true)
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// countRE finds the "(done/total" a progress bar with OptionShowCount
// renders.
var countRE = regexp.MustCompile(`\((\d+)/(\d+)`)

// plainLines turns a progress bar's redraws into one "desc done/total"
// line at most every plainEvery (the first one at once); line clears and
// other drawing are dropped.
type plainLines struct {
	w    io.Writer
	desc string

	mu    sync.Mutex
	last  time.Time
	shown bool
}

func (p *plainLines) Write(b []byte) (int, error) {
	m := countRE.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := barClock()
	if p.shown && now.Sub(p.last) < plainEvery {
		return len(b), nil
	}
	p.shown, p.last = true, now
	done, _ := strconv.Atoi(string(m[len(m)-1][1]))
	total, _ := strconv.Atoi(string(m[len(m)-1][2]))
	line := fmt.Sprintf("%d/%d\n", done, total)
	if p.desc != "" {
		line = p.desc + " " + line
	}
	if _, err := io.WriteString(p.w, line); err != nil {
		return 0, err
	}
	return len(b), nil
}
