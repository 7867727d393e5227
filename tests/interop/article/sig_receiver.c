/* Article section 4.4, "Signal Example": the receiver. */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>
void handle_usr1(int s){ printf("Got SIGUSR1, PID %d\n", getpid()); }
void handle_usr2(int s){ printf("Got SIGUSR2, exiting\n"); exit(0); }
int main(){
    signal(SIGUSR1, handle_usr1);
    signal(SIGUSR2, handle_usr2);
    printf("Receiver PID: %d\n", getpid());
    while(1) pause();
    return 0;
}
