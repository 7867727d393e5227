/* Article section 4.2, "Message Queue Example": the receiver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/ipc.h>
struct msg_buffer { long msg_type; char msg_text[1024]; };
int main() {
    key_t key = ftok("msg_queue_demo", 65);
    int msgid = msgget(key, 0666);
    struct msg_buffer msg;
    while (1) {
        msgrcv(msgid, &msg, sizeof(msg.msg_text), 1, 0);
        printf("Received: %s\n", msg.msg_text);
        if (strcmp(msg.msg_text, "exit") == 0) break;
    }
    return 0;
}
