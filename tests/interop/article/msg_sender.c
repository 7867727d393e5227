/* Article section 4.2, "Message Queue Example": the sender. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/ipc.h>
#include <unistd.h> /* added: sleep() */
struct msg_buffer { long msg_type; char msg_text[1024]; };
int main() {
    key_t key = ftok("msg_queue_demo", 65);
    int msgid = msgget(key, 0666 | IPC_CREAT);
    struct msg_buffer msg = {1, "Hello from sender!"};
    msgsnd(msgid, &msg, sizeof(msg.msg_text), 0);
    strcpy(msg.msg_text, "exit");
    msgsnd(msgid, &msg, sizeof(msg.msg_text), 0);
    sleep(1);
    msgctl(msgid, IPC_RMID, NULL);
    return 0;
}
