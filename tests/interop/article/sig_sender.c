/* Article section 4.4, "Signal Example": the sender. */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
int main(int argc, char *argv[]){
    if(argc!=2){ fprintf(stderr,"Usage: %s <PID>\n",argv[0]); exit(1); }
    pid_t pid = (pid_t)atoi(argv[1]);
    kill(pid, SIGUSR1);
    sleep(1);
    kill(pid, SIGUSR2);
    return 0;
}
