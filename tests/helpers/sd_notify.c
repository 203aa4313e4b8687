/* sd_notify for the NOTIFY_SOCKET tests: sends its argument as one datagram
 * to $NOTIFY_SOCKET, as systemd-notify would. Static, so that it runs in the
 * tests' busybox rootfs. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
    const char* path = getenv("NOTIFY_SOCKET");
    if (argc != 2 || !path || !*path || strlen(path) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
        fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sd_notify STATE\n");
        return 2;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr*)&addr, sizeof addr) < 0) {
        perror("sd_notify");
        return 1;
    }
    return 0;
}
