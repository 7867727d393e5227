# Article section 3.2, "Signals": the Python handlers.
import signal, os, sys, time

def handle_sigint(signum, frame):
    print(f"\nReceived SIGINT({signum}) – user interrupt")
    print("Cleaning up…")
    time.sleep(1)
    print("Cleanup done, exiting")
    sys.exit(0)

def handle_sigterm(signum, frame):
    print(f"\nReceived SIGTERM({signum}) – termination request")
    sys.exit(0)

def handle_sighup(signum, frame):
    print(f"\nReceived SIGHUP({signum}) – terminal hangup")
    print("Reloading config…")
    time.sleep(1)
    print("Config reloaded")

def handle_sigchld(signum, frame):
    print(f"\nReceived SIGCHLD({signum}) – child state change")
    try:
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            print(f"Child {pid} exited, status {status}")
    except OSError:
        pass

def main():
    signal.signal(signal.SIGINT, handle_sigint)
    signal.signal(signal.SIGTERM, handle_sigterm)
    signal.signal(signal.SIGHUP, handle_sighup)
    signal.signal(signal.SIGCHLD, handle_sigchld)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    print(f"PID: {os.getpid()}")
    print("Running – press Ctrl+C or send signals…")
    while True:
        time.sleep(1)

if __name__ == "__main__":
    main()
